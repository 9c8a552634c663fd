namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>How pixels are scaled before they enter an ONNX image model (images arrive as RGB in [−1, 1]).</summary>
public enum OnnxImageNormalization
{
    /// <summary>RGB in [−1, 1], unchanged: the generator's range, and the TF Inception evaluators' (docs/paper-fidelity.md).</summary>
    MinusOneToOne,
    /// <summary>RGB in [0, 1].</summary>
    ZeroToOne,
    /// <summary>RGB in [0, 1], then (x − mean) / std per channel with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225): torchvision models.</summary>
    ImageNet,
    /// <summary>RGB in [0, 255] (models that normalise inside the graph, such as some Caffe-style exports).</summary>
    ZeroTo255,
}

/// <summary>What an ONNX classifier's output holds.</summary>
public enum OnnxClassifierOutput
{
    /// <summary>Probabilities when every row is non-negative and sums to 1 (within 1e-3), logits otherwise.</summary>
    Auto,
    /// <summary>Logits: a softmax is applied.</summary>
    Logits,
    /// <summary>Probabilities: used as they are.</summary>
    Probabilities,
}

/// <summary>
/// Options of <see cref="OnnxImageClassifier"/> and <see cref="OnnxImageFeatureExtractor"/>: any ONNX model with one
/// float input of shape N×3×H×W (NCHW RGB) and a float output of shape N×… .
/// </summary>
public sealed class OnnxImageModelOptions
{
    /// <summary>The input to feed (null: the model's first input).</summary>
    public string? InputName { get; set; }

    /// <summary>The output to read (null: the model's first output). Every value of a row after N is used (e.g. N×512×1×1 → 512).</summary>
    public string? OutputName { get; set; }

    /// <summary>
    /// Side the images are bilinearly resized to (align_corners false). Null: the model's own H×W; required when those
    /// dimensions are symbolic. When the model fixes them, a different value is an error.
    /// </summary>
    public int? InputSize { get; set; }

    /// <summary>Pixel scaling; default <see cref="OnnxImageNormalization.MinusOneToOne"/>.</summary>
    public OnnxImageNormalization Normalization { get; set; } = OnnxImageNormalization.MinusOneToOne;

    /// <summary>Images per ONNX Runtime call (a model with a fixed batch dimension uses that one, padding the last batch). Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Classifiers only: logits or probabilities. Default <see cref="OnnxClassifierOutput.Auto"/>.</summary>
    public OnnxClassifierOutput Output { get; set; } = OnnxClassifierOutput.Auto;

    /// <summary>
    /// Classifiers only: how many leading outputs to drop before the softmax (1 for StackGAN's birds Inception, whose
    /// logit 0 is "background", docs/paper-fidelity.md; 1 for TF-slim ImageNet models with 1001 outputs). Default 0.
    /// </summary>
    public int DropLeadingOutputs { get; set; }
}
