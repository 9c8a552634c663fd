using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// A user-supplied ONNX classifier for the Inception Score and class accuracy, run with ONNX Runtime. The model takes
/// N×3×H×W floats (see <see cref="OnnxImageModelOptions.Normalization"/> for the pixel range: [−1, 1] for the TF
/// Inception evaluators, <see cref="OnnxImageNormalization.ImageNet"/> for torchvision models) and returns logits or
/// probabilities; images are bilinearly resized to its input size.
/// </summary>
public sealed class OnnxImageClassifier : IImageClassifier, IDisposable
{
    private readonly OnnxImageRunner _runner;
    private readonly OnnxImageModelOptions _options;

    /// <summary>Loads the model at <paramref name="modelPath"/>.</summary>
    public OnnxImageClassifier(string modelPath, OnnxImageModelOptions? options = null)
        : this(new InferenceSession(CheckPath(modelPath)), options, $"'{modelPath}'") { }

    /// <summary>Loads a model from its bytes.</summary>
    public OnnxImageClassifier(byte[] model, OnnxImageModelOptions? options = null)
        : this(new InferenceSession(model ?? throw new ArgumentNullException(nameof(model))), options, "(from bytes)") { }

    private OnnxImageClassifier(InferenceSession session, OnnxImageModelOptions? options, string source)
    {
        _options = options ?? new OnnxImageModelOptions();
        if (_options.DropLeadingOutputs < 0)
            throw new ArgumentOutOfRangeException(nameof(options), _options.DropLeadingOutputs, "DropLeadingOutputs must be 0 or more.");
        _runner = new OnnxImageRunner(session, _options, source);
        var outputDims = session.OutputMetadata[_runner.OutputName].Dimensions;
        long perRow = outputDims.Skip(1).Aggregate(1L, (a, b) => a * b);
        ClassCount = perRow > 0 ? (int)perRow - _options.DropLeadingOutputs : -1; // -1: known after the first run
    }

    /// <inheritdoc/>
    public int ClassCount { get; private set; }

    /// <inheritdoc/>
    public float[][] PredictProbabilities(IReadOnlyList<float[]> images, int imageSize)
    {
        var rows = _runner.Run(images, imageSize);
        if (rows.Length == 0) return rows;
        int drop = _options.DropLeadingOutputs;
        if (rows[0].Length <= drop)
            throw new InvalidOperationException($"The classifier gives {rows[0].Length} outputs per image; DropLeadingOutputs = {drop} leaves none.");
        if (drop > 0) rows = rows.Select(r => r[drop..]).ToArray();
        ClassCount = rows[0].Length;
        bool logits = _options.Output switch
        {
            OnnxClassifierOutput.Logits => true,
            OnnxClassifierOutput.Probabilities => false,
            // Dropping outputs of a probability vector breaks its sum: renormalising by softmax would be wrong, so treat as logits only if they do not look like probabilities.
            _ => !ClassProbabilities.LookLikeProbabilities(rows) && !(drop > 0 && rows.All(r => r.All(v => v >= 0))),
        };
        if (logits) return ClassProbabilities.Softmax(rows);
        if (drop > 0) rows = rows.Select(r => { double s = r.Sum(v => (double)v); return r.Select(v => (float)(v / s)).ToArray(); }).ToArray();
        return rows;
    }

    /// <inheritdoc/>
    public void Dispose() => _runner.Dispose();

    internal static string CheckPath(string path) =>
        File.Exists(path ?? throw new ArgumentNullException(nameof(path))) ? path : throw new FileNotFoundException($"ONNX model '{path}' not found.", path);
}
