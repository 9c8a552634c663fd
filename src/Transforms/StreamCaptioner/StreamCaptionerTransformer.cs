using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(StreamCaptionerTransformer), typeof(MirrorGanModelLoader<StreamCaptionerTransformer>), null,
    typeof(SignatureLoadModel), "STREAM captioner", StreamCaptionerTransformer.LoaderSignature)]

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>
/// A fitted STREAM captioner: reads an image column (<see cref="MLImage"/>; any size, resized; grey or BGRA become
/// RGB) and writes a caption text column and its log-probability (<see cref="Single"/>). Decodes greedily or with
/// beam search. Saves into an ML.NET model zip (settings, vocabulary, encoder and decoder weights).
/// <see cref="CreateCaptionLoss"/> gives GLAM its frozen re-description loss.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once: <c>Transform</c> (each thread its own data view and
/// cursor), per-thread <c>PredictionEngine</c>s (an engine itself is not thread-safe) and the public <c>Generate</c> methods give
/// exactly the results of sequential scoring (tested with 8 threads). Scoring only reads the network. TorchSharp 0.107's Scalar race can fail a
/// forward pass while another thread allocates; <see cref="TorchGcGuard.GuardInference"/> (off by default) guards them. Do not train, move (<c>to(device)</c>) or dispose the
/// network while another thread scores.</remarks>
public sealed class StreamCaptionerTransformer : MirrorGanTransformerBase, IMirrorGanPersistable<StreamCaptionerTransformer>
{
    internal const string LoaderSignature = "MirrorGanStreamCaptioner";

    private static readonly MirrorGanModelFormat FormatInfo = new("MGSTREAM", 0x00010001, 0x00010001, LoaderSignature, typeof(StreamCaptionerTransformer));

    private readonly StreamCaptionNet _net;

    internal StreamCaptionerTransformer(IHostEnvironment env, StreamCaptionNet net, Vocabulary vocabulary, string imageColumn, string captionColumn,
        string scoreColumn, int imageSize, int maxWords, int beamWidth)
        : base(env, nameof(StreamCaptionerTransformer))
    {
        _net = net;
        Vocabulary = vocabulary;
        ImageColumnName = imageColumn;
        OutputCaptionColumnName = captionColumn;
        OutputScoreColumnName = scoreColumn;
        ImageSize = imageSize;
        MaxWords = maxWords;
        BeamWidth = beamWidth;
        if (vocabulary.Count != net.Decoder.VocabularySize)
            throw new InvalidOperationException($"The decoder has {net.Decoder.VocabularySize} outputs but the vocabulary has {vocabulary.Count} words.");
        _net.eval();
    }

    /// <summary>The captioner's word ↔ index map (the STEM vocabulary when it was fitted with one).</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The input image column.</summary>
    public string ImageColumnName { get; }

    /// <summary>The output caption column (Text).</summary>
    public string OutputCaptionColumnName { get; }

    /// <summary>The output score column (Single: total log-probability of the caption).</summary>
    public string OutputScoreColumnName { get; }

    /// <summary>Side the images are resized to before they enter the network.</summary>
    public int ImageSize { get; }

    /// <summary>The longest caption generated, in words.</summary>
    public int MaxWords { get; }

    /// <summary>Beam width (1: greedy).</summary>
    public int BeamWidth { get; }

    /// <summary>The network (in eval mode). Shared: do not train it.</summary>
    public StreamCaptionNet Network => _net;

    /// <summary>
    /// Throws a clear error when a text encoder's vocabulary differs from the captioner's, so the GAN trainer fails
    /// before training instead of with a shape error (the original's <c>[5450, 512]</c> error, MirrorGAN issue #11).
    /// </summary>
    public void EnsureCompatibleWith(Vocabulary textEncoderVocabulary)
    {
        if (textEncoderVocabulary is null) throw new ArgumentNullException(nameof(textEncoderVocabulary));
        Vocabulary.EnsureSameAs(textEncoderVocabulary, "the STREAM captioner", "the text encoder (TextEmbed)");
    }

    /// <summary>The frozen caption loss for GLAM (freezes this captioner's parameters; captioning still works).</summary>
    /// <param name="includeEndToken">Whether the step after the last word must predict <c>&lt;end&gt;</c>.</param>
    public StreamCaptionLoss CreateCaptionLoss(bool includeEndToken = true) => new(_net, Vocabulary, includeEndToken);

    /// <summary>Captions images B×3×H×W in [−1, 1] (greedy when <paramref name="beamWidth"/> is 1).</summary>
    public GeneratedCaption[] Generate(Tensor images, int? beamWidth = null, int? maxWords = null)
    {
        int width = beamWidth ?? BeamWidth, max = maxWords ?? MaxWords;
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var gcGuard = TorchGcGuard.EnterForInference(); // TorchSharp's Scalar lifetime race: see TorchGcGuard
        _net.eval();
        var device = _net.parameters().First().device;
        var features = _net.Encoder.call(images.to(device));
        if (width == 1) return CaptionDecoder.Greedy(_net.Decoder, features, max);
        return Enumerable.Range(0, (int)features.shape[0]).Select(i => CaptionDecoder.Beam(_net.Decoder, features[i], width, max)).ToArray();
    }

    /// <summary>
    /// Captions <paramref name="images"/> (any size, each read at <see cref="ImageSize"/>) in batches of 64 and decodes the
    /// words: the captions of a folder of pictures or of generated images without building an <c>IDataView</c>.
    /// </summary>
    /// <param name="images">The images.</param>
    /// <param name="beamWidth">Beam width (null: <see cref="BeamWidth"/>; 1: greedy).</param>
    public string[] Caption(IReadOnlyList<MLImage> images, int? beamWidth = null)
    {
        if (images is null) throw new ArgumentNullException(nameof(images));
        int side = ImageSize, plane = 3 * side * side;
        var result = new List<string>(images.Count);
        for (int start = 0; start < images.Count; start += 64)
        {
            int n = Math.Min(64, images.Count - start);
            var pixels = new float[n * plane];
            for (int i = 0; i < n; i++) ImageTensor.ToChw(images[start + i], side, pixels.AsSpan(i * plane, plane));
            using var batch = tensor(pixels, new long[] { n, 3, side, side });
            result.AddRange(Generate(batch, beamWidth).Select(c => Vocabulary.Decode(c.Ids)));
        }
        return result.ToArray();
    }

    static MirrorGanModelFormat IMirrorGanPersistable<StreamCaptionerTransformer>.Format => FormatInfo;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <inheritdoc/>
    protected override int BatchSize => 32;

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns => new[] { InputColumnSpec.Image(ImageColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns => new[]
    {
        new OutputColumnSpec(OutputCaptionColumnName, TextDataViewType.Instance),
        new OutputColumnSpec(OutputScoreColumnName, NumberDataViewType.Single),
    };

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        var images = inputs.Column<MLImage?>(0);
        var pixels = StreamImages.ToChwBatch(images, ImageSize, ImageColumnName, inputs.RowPositions);
        using var scope = NewDisposeScope();
        var batch = torch.tensor(pixels, new long[] { images.Length, 3, ImageSize, ImageSize });
        var captions = Generate(batch);
        for (int i = 0; i < captions.Length; i++)
        {
            outputs.Set(0, i, Vocabulary.Decode(captions[i].Ids));
            outputs.Set(1, i, captions[i].LogProbability);
        }
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer)
    {
        writer.WriteString(ImageColumnName);
        writer.WriteString(OutputCaptionColumnName);
        writer.WriteString(OutputScoreColumnName);
        writer.WriteString(_net.Encoder.Backbone.Kind);
        writer.Writer.Write(ImageSize);
        writer.Writer.Write(_net.Decoder.EmbedSize);
        writer.Writer.Write(_net.Decoder.HiddenSize);
        writer.Writer.Write(MaxWords);
        writer.Writer.Write(BeamWidth);
        writer.Writer.Write(_net.Encoder.RegionGrid);
        writer.WriteEntry("Vocabulary.bin", w => Vocabulary.Save(w));
        writer.WriteModule("StreamCaptionNet.bin", _net);
    }

    /// <summary>Loads what <see cref="SaveModel"/> wrote (onto the CPU).</summary>
    public static StreamCaptionerTransformer Load(IHostEnvironment env, ModelReader reader)
    {
        TorchRuntime.EnsureLoaded();
        string image = reader.ReadString(), caption = reader.ReadString(), score = reader.ReadString(), backbone = reader.ReadString();
        var r = reader.Reader;
        // Bounds far above any real model; they stop a damaged file from sizing a network of terabytes.
        int imageSize = reader.ReadInt32("ImageSize", 1, 16_384), embed = reader.ReadInt32("EmbedSize", 1, 16_384), hidden = reader.ReadInt32("HiddenSize", 1, 16_384),
            maxWords = reader.ReadInt32("MaxWords", 1, 100_000), beam = reader.ReadInt32("BeamWidth", 1, 1_000), grid = reader.ReadInt32("RegionGrid", 0, 256);
        Vocabulary? vocabulary = null;
        reader.ReadEntry("Vocabulary.bin", br => vocabulary = Vocabulary.Load(br));
        var net = new StreamCaptionNet(Backbones.ImageBackbones.Create(backbone), vocabulary!.Count, embed, hidden, regionGrid: grid);
        reader.ReadModule("StreamCaptionNet.bin", net);
        return new StreamCaptionerTransformer(env, net, vocabulary, image, caption, score, imageSize, maxWords, beam);
    }
}
