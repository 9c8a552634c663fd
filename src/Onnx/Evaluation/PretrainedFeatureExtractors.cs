using Microsoft.ML.MirrorGan.Onnx.Import;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Feature networks with pretrained weights for Fréchet distances (the default of the experiments' <c>evaluate</c> verb).</summary>
public static class PretrainedFeatureExtractors
{
    /// <summary>The name <see cref="ResNet18"/>'s extractor reports.</summary>
    public const string ResNet18Name = "resnet18-imagenet:pool5:512";

    /// <summary>
    /// True when the ONNX files of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> are in <paramref name="modelDirectory"/>
    /// (default: the <c>DnnImageModels</c> folder next to the application, where the package's build step copies them).
    /// </summary>
    public static bool IsResNet18Available(string? modelDirectory = null)
    {
        string dir = modelDirectory ?? ResNet18FromOnnx.DefaultModelDirectory;
        return File.Exists(Path.Combine(dir, ResNet18FromOnnx.NetworkFile)) && File.Exists(Path.Combine(dir, ResNet18FromOnnx.PreprocessFile));
    }

    /// <summary>
    /// ML.NET's ImageNet ResNet-18 (converted once from the package's ONNX files to TorchSharp, see README "Pretrained
    /// backbones"): each image's 512-d average-pooled last stage. Images (3×S×S in [−1, 1]) are bilinearly resized to
    /// 224 px and preprocessed as the package's own graph does. Runs without autograd, <paramref name="batchSize"/>
    /// images per call.
    /// </summary>
    /// <param name="modelDirectory">The <c>DnnImageModels</c> folder (default: next to the application).</param>
    /// <param name="batchSize">Images per network call. Default 32.</param>
    public static IImageFeatureExtractor ResNet18(string? modelDirectory = null, int batchSize = 32)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be positive.");
        var network = ResNet18FromOnnx.Load(modelDirectory);
        network.eval();
        return ImageFeatureExtractors.FromFunction(ResNet18Name, (images, size) =>
            ImageFeatureExtractors.Batched(images, size, batchSize, network.InputSize, x =>
            {
                using var noGrad = torch.no_grad();
                var pooled = network.call(x).Global;
                return Rows(pooled.reshape(pooled.shape[0], -1));
            }));
    }

    /// <summary>One float[] per row of a B×D tensor, with a single copy out of native memory.</summary>
    private static float[][] Rows(Tensor matrix)
    {
        long n = matrix.shape[0], d = matrix.shape[1];
        var flat = matrix.contiguous().cpu().data<float>().ToArray();
        var rows = new float[n][];
        for (long i = 0; i < n; i++) rows[i] = flat.AsSpan((int)(i * d), (int)d).ToArray();
        return rows;
    }
}
