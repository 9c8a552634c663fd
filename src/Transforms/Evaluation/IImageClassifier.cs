namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// A classifier for Inception-Score-style metrics. Images arrive in the networks' layout: channel-major RGB floats in
/// [−1, 1], 3×<c>imageSize</c>×<c>imageSize</c> per image (what <c>ImageTensor.ToChw</c>
/// gives and what the generator produces); the classifier resizes and normalises them as it needs.
/// </summary>
public interface IImageClassifier
{
    /// <summary>Number of classes (the length of each probability row).</summary>
    int ClassCount { get; }

    /// <summary>Class probabilities p(y|x), one row per image; each row is non-negative and sums to 1.</summary>
    float[][] PredictProbabilities(IReadOnlyList<float[]> images, int imageSize);
}

/// <summary>
/// A feature network for Fréchet distances (FID-style). Images arrive as in <see cref="IImageClassifier"/>:
/// 3×<c>imageSize</c>×<c>imageSize</c> floats in [−1, 1].
/// </summary>
public interface IImageFeatureExtractor
{
    /// <summary>A short name recorded in reports (e.g. "damsm", "onnx:resnet18.onnx").</summary>
    string Name { get; }

    /// <summary>One feature vector per image, all of the same length.</summary>
    float[][] ExtractFeatures(IReadOnlyList<float[]> images, int imageSize);
}
