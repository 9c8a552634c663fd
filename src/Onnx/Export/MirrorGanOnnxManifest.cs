using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// The JSON manifest written beside the exported graphs (<c>mirrorgan.onnx.json</c>): which graphs exist, their
/// input/output names and shapes, the options the C# side needs (vocabulary, word limit, noise sizes, decoding), and
/// the versions that produced them. The ONNX-backed transformers read only this file and the graphs it names.
/// </summary>
public sealed class MirrorGanOnnxManifest
{
    /// <summary>The format name; anything else is not a MirrorGAN export.</summary>
    public const string FormatName = "mirrorgan-onnx";

    /// <summary>The manifest version this build writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; set; } = FormatName;

    /// <summary>Manifest version.</summary>
    public int FormatVersion { get; set; } = CurrentFormatVersion;

    /// <summary>ONNX default-domain opset of every graph.</summary>
    public int Opset { get; set; } = OnnxExportInfo.Opset;

    /// <summary>Producer versions (library, TorchSharp, ONNX IR).</summary>
    public Dictionary<string, string> Versions { get; set; } = new();

    /// <summary>
    /// SHA-256 (lower-case hex) of every graph file, checked when a runner opens the graph: ONNX has no checksum of its
    /// own, so a damaged weight would otherwise load and serve different images. Absent in older exports (not checked).
    /// </summary>
    public Dictionary<string, string>? Sha256 { get; set; }

    /// <summary>The STEM text encoder, if exported.</summary>
    public TextEncoderManifest? TextEncoder { get; set; }

    /// <summary>STEM's DAMSM image encoder, if exported (on request).</summary>
    public ImageEncoderManifest? ImageEncoder { get; set; }

    /// <summary>CA + GLAM generator, if exported.</summary>
    public GeneratorManifest? Generator { get; set; }

    /// <summary>The STREAM captioner, if exported.</summary>
    public CaptionerManifest? Captioner { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes the manifest into <paramref name="folder"/>.</summary>
    public void Save(string folder) => File.WriteAllText(Path.Combine(folder, MirrorGanOnnxNames.ManifestFile), ToJson());

    /// <summary>The manifest as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads the manifest of an export folder, with errors that name the file and the fix.</summary>
    public static MirrorGanOnnxManifest Load(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("An ONNX export folder is required.", nameof(folder));
        string path = Path.Combine(folder, MirrorGanOnnxNames.ManifestFile);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"'{path}' does not exist. Point ModelFolder at a folder written by ExportToOnnx (it holds {MirrorGanOnnxNames.ManifestFile} and the .onnx graphs).", path);
        MirrorGanOnnxManifest? manifest;
        try
        {
            manifest = FromJson(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid MirrorGAN ONNX manifest ({e.Message}). Export the model again with ExportToOnnx.", e);
        }
        if (manifest.Format != FormatName || manifest.FormatVersion < 1 || manifest.FormatVersion > CurrentFormatVersion)
            throw new InvalidDataException(
                $"'{path}' has format '{manifest.Format}' version {manifest.FormatVersion}; this build reads '{FormatName}' versions 1 to {CurrentFormatVersion}. " +
                "Export the model again with this version of Microsoft.ML.MirrorGan.Onnx.");
        return manifest;
    }

    /// <summary>Parses manifest JSON.</summary>
    public static MirrorGanOnnxManifest FromJson(string json) =>
        JsonSerializer.Deserialize<MirrorGanOnnxManifest>(json, Json) ?? throw new InvalidDataException("The manifest is empty (JSON null).");
}

/// <summary>A graph input or output: name, element type (float, int64, int32, bool) and shape (numbers or symbolic names).</summary>
/// <param name="Name">The ONNX value name.</param>
/// <param name="ElementType">Element type.</param>
/// <param name="Shape">Dimensions; symbolic ones are <c>batch</c> and <c>words</c>.</param>
public sealed record OnnxTensorManifest(string Name, string ElementType, IReadOnlyList<string> Shape);

/// <summary>A word ↔ index map (index 0 is <c>&lt;end&gt;</c>, the padding).</summary>
public sealed class VocabularyManifest
{
    /// <summary>Words in index order.</summary>
    public List<string> Words { get; set; } = new();

    /// <summary>Whether unknown words map to <c>&lt;unk&gt;</c> (index 1) instead of being dropped.</summary>
    public bool HasUnknownToken { get; set; }

    /// <summary>Whether tokenisation keeps only ASCII characters.</summary>
    public bool AsciiOnly { get; set; }

    /// <summary>Content fingerprint, to check two vocabularies agree.</summary>
    public string Fingerprint { get; set; } = "";

    internal static VocabularyManifest From(Text.Vocabulary v) =>
        new() { Words = v.Words.ToList(), HasUnknownToken = v.HasUnknownToken, AsciiOnly = v.AsciiOnly, Fingerprint = v.Fingerprint };

    internal Text.Vocabulary ToVocabulary() => new(Words, HasUnknownToken, AsciiOnly);
}

/// <summary>Base of a graph entry: its file and signature.</summary>
public abstract class GraphManifest
{
    /// <summary>Graph inputs.</summary>
    public List<OnnxTensorManifest> Inputs { get; set; } = new();

    /// <summary>Graph outputs.</summary>
    public List<OnnxTensorManifest> Outputs { get; set; } = new();
}

/// <summary>The STEM text encoder entry.</summary>
public sealed class TextEncoderManifest : GraphManifest
{
    /// <summary>Graph file name.</summary>
    public string File { get; set; } = MirrorGanOnnxNames.TextEncoderFile;

    /// <summary>The vocabulary the token ids index.</summary>
    public VocabularyManifest Vocabulary { get; set; } = new();

    /// <summary>Longer captions keep their first MaxWords words.</summary>
    public int MaxWords { get; set; }

    /// <summary>D, the word and sentence feature size.</summary>
    public int FeatureSize { get; set; }
}

/// <summary>The DAMSM image encoder entry (images → region features and image code, comparable with the text encoder's).</summary>
public sealed class ImageEncoderManifest : GraphManifest
{
    /// <summary>Graph file name.</summary>
    public string File { get; set; } = MirrorGanOnnxNames.ImageEncoderFile;

    /// <summary>Side of the <c>image</c> input (the trunk resizes to its own size inside the graph).</summary>
    public int ImageSize { get; set; }

    /// <summary>D, the region feature and image code size.</summary>
    public int FeatureSize { get; set; }

    /// <summary>The trunk description (e.g. <c>inception-v3</c>).</summary>
    public string Backbone { get; set; } = "";
}

/// <summary>The CA + generator entry.</summary>
public sealed class GeneratorManifest : GraphManifest
{
    /// <summary>Graph file name.</summary>
    public string File { get; set; } = MirrorGanOnnxNames.GeneratorFile;

    /// <summary>Number of stages (images 64, 128, 256 px).</summary>
    public int Stages { get; set; }

    /// <summary>Side of the last stage's image.</summary>
    public int FinalSize { get; set; }

    /// <summary>Size of <c>z</c>.</summary>
    public int ZDim { get; set; }

    /// <summary>Size of <c>ca_noise</c>.</summary>
    public int ConditionDim { get; set; }

    /// <summary>D expected for word and sentence features.</summary>
    public int TextDim { get; set; }

    /// <summary>GF_DIM.</summary>
    public int GeneratorDim { get; set; }

    /// <summary>R_NUM.</summary>
    public int ResidualBlocks { get; set; }

    /// <summary>Whether word attention reproduces AttnGAN issue #93's mask tiling.</summary>
    public bool ReproduceAttnGanMaskBug { get; set; }

    /// <summary>Whether the graph also outputs attention maps.</summary>
    public bool AttentionMaps { get; set; }
}

/// <summary>The STREAM captioner entry.</summary>
public sealed class CaptionerManifest
{
    /// <summary>Encoder graph file name.</summary>
    public string EncoderFile { get; set; } = MirrorGanOnnxNames.CaptionEncoderFile;

    /// <summary>Decoder-step graph file name.</summary>
    public string DecoderFile { get; set; } = MirrorGanOnnxNames.CaptionDecoderFile;

    /// <summary>The captioner's vocabulary (output ids).</summary>
    public VocabularyManifest Vocabulary { get; set; } = new();

    /// <summary>Side images are resized to before the encoder.</summary>
    public int ImageSize { get; set; }

    /// <summary>Longest caption generated, in words.</summary>
    public int MaxWords { get; set; }

    /// <summary>Beam width (1: greedy).</summary>
    public int BeamWidth { get; set; }

    /// <summary>E, the image feature size.</summary>
    public int EmbedSize { get; set; }

    /// <summary>H, the LSTM state size.</summary>
    public int HiddenSize { get; set; }

    /// <summary>The trunk description.</summary>
    public string Backbone { get; set; } = "";

    /// <summary>Region grid of the encoder (0: pooled feature only).</summary>
    public int RegionGrid { get; set; }

    /// <summary>Encoder inputs.</summary>
    public List<OnnxTensorManifest> EncoderInputs { get; set; } = new();

    /// <summary>Encoder outputs.</summary>
    public List<OnnxTensorManifest> EncoderOutputs { get; set; } = new();

    /// <summary>Decoder-step inputs.</summary>
    public List<OnnxTensorManifest> DecoderInputs { get; set; } = new();

    /// <summary>Decoder-step outputs.</summary>
    public List<OnnxTensorManifest> DecoderOutputs { get; set; } = new();
}
