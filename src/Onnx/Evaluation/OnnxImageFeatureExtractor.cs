using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// Any ONNX feature network for Fréchet distances (e.g. an Inception pool-3 or ResNet-18 pooled-feature export): each
/// image's output values (everything after the batch dimension) form its feature vector. Input conventions as
/// <see cref="OnnxImageClassifier"/>.
/// </summary>
public sealed class OnnxImageFeatureExtractor : IImageFeatureExtractor, IDisposable
{
    private readonly OnnxImageRunner _runner;

    /// <summary>Loads the model at <paramref name="modelPath"/>.</summary>
    public OnnxImageFeatureExtractor(string modelPath, OnnxImageModelOptions? options = null)
    {
        _runner = new OnnxImageRunner(new InferenceSession(OnnxImageClassifier.CheckPath(modelPath)), options, $"'{modelPath}'");
        Name = $"onnx:{Path.GetFileName(modelPath)}:{_runner.OutputName}";
    }

    /// <summary>Loads a model from its bytes.</summary>
    public OnnxImageFeatureExtractor(byte[] model, OnnxImageModelOptions? options = null)
    {
        _runner = new OnnxImageRunner(new InferenceSession(model ?? throw new ArgumentNullException(nameof(model))), options, "(from bytes)");
        Name = $"onnx:{_runner.OutputName}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public float[][] ExtractFeatures(IReadOnlyList<float[]> images, int imageSize) => _runner.Run(images, imageSize);

    /// <inheritdoc/>
    public void Dispose() => _runner.Dispose();
}
