namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Names of the exported ONNX files and of their graph inputs and outputs (also listed, with shapes, in the manifest
/// and the README). Symbolic dimensions: <c>batch</c> (rows) and <c>words</c> (caption length, padded).
/// </summary>
public static class MirrorGanOnnxNames
{
    /// <summary>The manifest written beside the graphs.</summary>
    public const string ManifestFile = "mirrorgan.onnx.json";

    /// <summary>STEM text encoder graph.</summary>
    public const string TextEncoderFile = "text_encoder.onnx";

    /// <summary>CA + GLAM generator graph.</summary>
    public const string GeneratorFile = "generator.onnx";

    /// <summary>STREAM image encoder graph.</summary>
    public const string CaptionEncoderFile = "stream_encoder.onnx";

    /// <summary>STREAM one-step decoder graph.</summary>
    public const string CaptionDecoderFile = "stream_decoder_step.onnx";

    /// <summary>STEM's DAMSM image encoder graph (exported on request: <c>ExportToOnnx(folder, imageEncoder: true)</c>).</summary>
    public const string ImageEncoderFile = "image_encoder.onnx";

    /// <summary>Image encoder output: float [batch, D, R] word-comparable region features (R = regions, 17·17 for Inception-v3).</summary>
    public const string RegionFeatures = "region_features";

    /// <summary>Image encoder output: float [batch, D] global image code (DAMSM's <c>cnn_code</c>).</summary>
    public const string ImageCode = "image_code";

    /// <summary>Text encoder input: int64 [batch, words] word ids, padded with 0 (<c>&lt;end&gt;</c>).</summary>
    public const string TokenIds = "token_ids";

    /// <summary>Text encoder input: int32 [batch] real words per caption (1 to words).</summary>
    public const string Lengths = "lengths";

    /// <summary>Text encoder output and generator input: float [batch, D, words]; zero past each caption's length.</summary>
    public const string WordFeatures = "word_features";

    /// <summary>Text encoder output and generator input: bool [batch, words], true at padding positions.</summary>
    public const string PadMask = "pad_mask";

    /// <summary>Text encoder output and generator input: float [batch, D].</summary>
    public const string SentenceFeature = "sentence_feature";

    /// <summary>Generator input: float [batch, ZDim] noise, N(0, 1).</summary>
    public const string Z = "z";

    /// <summary>Generator input: float [batch, ConditionDim] conditioning-augmentation noise ε, N(0, 1).</summary>
    public const string CaNoise = "ca_noise";

    /// <summary>Generator output for a stage of side <paramref name="size"/>: float [batch, 3, size, size] in [−1, 1].</summary>
    public static string Image(int size) => $"image_{size}";

    /// <summary>
    /// Generator output (optional): the word-attention map that builds the stage of side <paramref name="size"/>,
    /// float [batch, words, size/2, size/2] (softmax over words at each pixel of the previous stage).
    /// </summary>
    public static string Attention(int size) => $"attention_{size}";

    /// <summary>Captioner and image encoder input: float [batch, 3, S, S] in [−1, 1] (S = the model's image size).</summary>
    public const string CaptionImage = "image";

    /// <summary>Captioner encoder output and decoder input: float [batch, E].</summary>
    public const string ImageFeature = "image_feature";

    /// <summary>Decoder input: int64 [batch] previous word id, or −1 at the first step (which reads <see cref="ImageFeature"/>).</summary>
    public const string Token = "token";

    /// <summary>Decoder inputs: float [1, batch, H] LSTM state (zeros at the first step).</summary>
    public const string StateH = "h";

    /// <inheritdoc cref="StateH"/>
    public const string StateC = "c";

    /// <summary>Decoder output: float [batch, V] log-probabilities of the next word.</summary>
    public const string LogProbs = "log_probs";

    /// <summary>Decoder outputs: the new LSTM state, float [1, batch, H].</summary>
    public const string StateHOut = "h_out";

    /// <inheritdoc cref="StateHOut"/>
    public const string StateCOut = "c_out";

    /// <summary>The symbolic batch dimension.</summary>
    public const string BatchDim = "batch";

    /// <summary>The symbolic caption-length dimension.</summary>
    public const string WordsDim = "words";
}
