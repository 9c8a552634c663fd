using Microsoft.ML.MirrorGan.TextEmbed;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Ready-made <see cref="IImageFeatureExtractor"/>s, and the hook for any other feature network.</summary>
public static class ImageFeatureExtractors
{
    /// <summary>
    /// Wraps a function as a feature extractor: the hook for networks this assembly does not know (e.g. an imported
    /// ResNet-18 backbone: <c>FromFunction("resnet18", (images, size) => ...)</c>).
    /// </summary>
    public static IImageFeatureExtractor FromFunction(string name, Func<IReadOnlyList<float[]>, int, float[][]> extract)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Give the feature network a name for reports.", nameof(name));
        return new FunctionExtractor(name, extract ?? throw new ArgumentNullException(nameof(extract)));
    }

    /// <summary>
    /// The DAMSM image encoder's global feature (the vector R-precision compares with sentences) of a fitted
    /// <see cref="TextEmbedTransformer"/>. Images are bilinearly resized to the model's <see cref="TextEmbedTransformer.ImageSize"/>.
    /// Its features are trained on the task's own data, so distances are comparable only between runs of one model.
    /// </summary>
    public static IImageFeatureExtractor Damsm(TextEmbedTransformer model, int batchSize = 64)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be positive.");
        return new FunctionExtractor("damsm", (images, size) => Batched(images, size, batchSize, model.ImageSize, model.EncodeImageTensor));
    }

    /// <summary>Runs <paramref name="run"/> on batches of B×3×S×S tensors resized to <paramref name="networkSize"/>.</summary>
    internal static float[][] Batched(IReadOnlyList<float[]> images, int imageSize, int batchSize, int networkSize, Func<Tensor, float[][]> run)
    {
        var result = new List<float[]>(images.Count);
        for (int start = 0; start < images.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, images.Count - start);
            var x = ToTensor(images, start, n, imageSize);
            result.AddRange(run(Resize(x, networkSize)));
        }
        return result.ToArray();
    }

    /// <summary>Stacks images [start, start + n) into an n×3×S×S tensor, checking every length.</summary>
    internal static Tensor ToTensor(IReadOnlyList<float[]> images, int start, int n, int imageSize)
    {
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must be positive.");
        int plane = 3 * imageSize * imageSize;
        var flat = new float[n * plane];
        for (int i = 0; i < n; i++)
        {
            var image = images[start + i] ?? throw new ArgumentException($"Image {start + i} is null.", nameof(images));
            if (image.Length != plane)
                throw new ArgumentException($"Image {start + i} has {image.Length} floats; 3×{imageSize}×{imageSize} = {plane} were expected (CHW RGB in [−1, 1]).", nameof(images));
            image.CopyTo(flat, i * plane);
        }
        TorchRuntime.EnsureLoaded();
        return tensor(flat, new long[] { n, 3, imageSize, imageSize });
    }

    /// <summary>Bilinear resize (align_corners false, as torchvision and the TF evaluators) unless the size already fits.</summary>
    internal static Tensor Resize(Tensor x, int size) =>
        x.shape[2] == size && x.shape[3] == size ? x
            : nn.functional.interpolate(x, new long[] { size, size }, mode: InterpolationMode.Bilinear, align_corners: false);

    private sealed class FunctionExtractor(string name, Func<IReadOnlyList<float[]>, int, float[][]> extract) : IImageFeatureExtractor
    {
        public string Name => name;

        public float[][] ExtractFeatures(IReadOnlyList<float[]> images, int imageSize) =>
            extract(images ?? throw new ArgumentNullException(nameof(images)), imageSize);
    }
}
