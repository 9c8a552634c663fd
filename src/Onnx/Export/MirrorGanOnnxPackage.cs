using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Collects the parts of a MirrorGAN model and writes them as ONNX graphs plus the manifest. Used by
/// <see cref="MirrorGanOnnxExport.ExportToOnnx"/>; call it directly to export parts you hold as modules (for example
/// a generator and its conditioning augmentation).
/// </summary>
public sealed class MirrorGanOnnxPackage
{
    private readonly List<(string File, byte[] Bytes)> _files = new();
    private readonly MirrorGanOnnxManifest _manifest = new();

    /// <summary>Adds the STEM text encoder, its vocabulary and word limit.</summary>
    public MirrorGanOnnxPackage WithTextEmbed(TextEmbedTransformer textEmbed)
    {
        if (textEmbed is null) throw new ArgumentNullException(nameof(textEmbed));
        var bytes = StemOnnxExporter.Export(textEmbed.TextEncoder);
        var (inputs, outputs) = OnnxGraphSignature.Read(bytes);
        _files.Add((MirrorGanOnnxNames.TextEncoderFile, bytes));
        _manifest.TextEncoder = new TextEncoderManifest
        {
            Vocabulary = VocabularyManifest.From(textEmbed.Vocabulary),
            MaxWords = textEmbed.MaxWords,
            FeatureSize = textEmbed.FeatureSize,
            Inputs = inputs,
            Outputs = outputs,
        };
        return this;
    }

    /// <summary>
    /// Adds STEM's DAMSM image encoder (<see cref="DamsmOnnxExporter"/>) for images of the transformer's image size. Only
    /// meaningful when the image encoder was trained or imported (<c>PyTorchImport.LoadTextEmbed</c> without an image
    /// encoder file holds an untrained placeholder).
    /// </summary>
    public MirrorGanOnnxPackage WithImageEncoder(TextEmbedTransformer textEmbed)
    {
        if (textEmbed is null) throw new ArgumentNullException(nameof(textEmbed));
        return WithImageEncoder(textEmbed.ImageEncoder, textEmbed.ImageSize);
    }

    /// <summary>Adds a DAMSM image encoder module for input images of side <paramref name="imageSize"/>.</summary>
    public MirrorGanOnnxPackage WithImageEncoder(DamsmImageEncoder encoder, int imageSize)
    {
        if (encoder is null) throw new ArgumentNullException(nameof(encoder));
        var bytes = DamsmOnnxExporter.Export(encoder, imageSize);
        var (inputs, outputs) = OnnxGraphSignature.Read(bytes);
        _files.Add((MirrorGanOnnxNames.ImageEncoderFile, bytes));
        _manifest.ImageEncoder = new ImageEncoderManifest
        {
            ImageSize = imageSize,
            FeatureSize = encoder.FeatureSize,
            Backbone = encoder.Backbone.Kind,
            Inputs = inputs,
            Outputs = outputs,
        };
        return this;
    }

    /// <summary>Adds conditioning augmentation + generator as one graph (see <see cref="GlamOnnxExporter"/>).</summary>
    public MirrorGanOnnxPackage WithGenerator(ConditioningAugmentation ca, GlamGenerator generator, bool attentionMaps = false, bool normalizeSentence = false,
        (float[] Mean, float[] InverseStd)? sentenceStandardization = null)
    {
        var bytes = GlamOnnxExporter.Export(ca, generator, attentionMaps, normalizeSentence, sentenceStandardization);
        var (inputs, outputs) = OnnxGraphSignature.Read(bytes);
        var o = generator.Options;
        _files.Add((MirrorGanOnnxNames.GeneratorFile, bytes));
        _manifest.Generator = new GeneratorManifest
        {
            Stages = o.Stages,
            FinalSize = o.FinalSize,
            ZDim = o.ZDim,
            ConditionDim = o.ConditionDim,
            TextDim = o.TextDim,
            GeneratorDim = o.GeneratorDim,
            ResidualBlocks = o.ResidualBlocks,
            ReproduceAttnGanMaskBug = o.ReproduceAttnGanMaskBug,
            AttentionMaps = attentionMaps,
            Inputs = inputs,
            Outputs = outputs,
        };
        return this;
    }

    /// <summary>Adds the STREAM captioner (encoder graph + decoder-step graph).</summary>
    public MirrorGanOnnxPackage WithCaptioner(StreamCaptionerTransformer captioner)
    {
        if (captioner is null) throw new ArgumentNullException(nameof(captioner));
        var net = captioner.Network;
        var encoder = StreamOnnxExporter.ExportEncoder(net.Encoder, captioner.ImageSize);
        var decoder = StreamOnnxExporter.ExportDecoderStep(net.Decoder);
        var (ei, eo) = OnnxGraphSignature.Read(encoder);
        var (di, @do) = OnnxGraphSignature.Read(decoder);
        _files.Add((MirrorGanOnnxNames.CaptionEncoderFile, encoder));
        _files.Add((MirrorGanOnnxNames.CaptionDecoderFile, decoder));
        _manifest.Captioner = new CaptionerManifest
        {
            Vocabulary = VocabularyManifest.From(captioner.Vocabulary),
            ImageSize = captioner.ImageSize,
            MaxWords = captioner.MaxWords,
            BeamWidth = captioner.BeamWidth,
            EmbedSize = net.Decoder.EmbedSize,
            HiddenSize = net.Decoder.HiddenSize,
            Backbone = net.Encoder.Backbone.Kind,
            RegionGrid = net.Encoder.RegionGrid,
            EncoderInputs = ei,
            EncoderOutputs = eo,
            DecoderInputs = di,
            DecoderOutputs = @do,
        };
        return this;
    }

    /// <summary>Whether nothing was added yet.</summary>
    public bool IsEmpty => _files.Count == 0;

    /// <summary>Writes the graphs and the manifest into <paramref name="folder"/> (created if needed; same-named files are replaced).</summary>
    public MirrorGanOnnxManifest Save(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("An output folder is required.", nameof(folder));
        if (IsEmpty) throw new InvalidOperationException("Nothing to export: add a text encoder, a generator or a captioner first.");
        if (_manifest.Generator is not null && _manifest.TextEncoder is not null && _manifest.Generator.TextDim != _manifest.TextEncoder.FeatureSize)
            throw new InvalidOperationException(
                $"The generator reads {_manifest.Generator.TextDim}-d text features but the text encoder makes {_manifest.TextEncoder.FeatureSize}-d ones; export parts of the same model.");
        Directory.CreateDirectory(folder);
        foreach (var (file, bytes) in _files) File.WriteAllBytes(Path.Combine(folder, file), bytes);
        _manifest.Versions = new Dictionary<string, string>
        {
            ["Microsoft.ML.MirrorGan"] = OnnxExportInfo.ProducerVersion,
            ["TorchSharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            ["onnxIrVersion"] = "8",
            ["onnxOpset"] = OnnxExportInfo.Opset.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _manifest.Sha256 = _files.ToDictionary(f => f.File, f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f.Bytes)));
        _manifest.Save(folder);
        return MirrorGanOnnxManifest.FromJson(_manifest.ToJson());
    }
}
