using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(TextEmbedTransformer), typeof(MirrorGanModelLoader<TextEmbedTransformer>), null,
    typeof(SignatureLoadModel), "MirrorGAN TextEmbed (STEM)", TextEmbedTransformer.LoaderSignature)]

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>What <see cref="TextEmbedTransformer"/> does with a caption that has no words (empty, whitespace, or only unknown words in compatibility mode).</summary>
public enum EmptyCaptionHandling
{
    /// <summary>Throw an error that names the row and the column (default).</summary>
    Error = 0,

    /// <summary>Emit zero features and a word count of 0.</summary>
    Zeros = 1,
}

/// <summary>
/// The fitted STEM (<c>TextEmbed</c>): maps a caption column to word features, a word count and a sentence
/// feature, and optionally an image column to its DAMSM global feature, so that captions and images can be
/// compared by cosine (retrieval, R-precision).
/// <para>Output columns (D = <see cref="FeatureSize"/>, W = <see cref="MaxWords"/>):</para>
/// <list type="bullet">
/// <item><c>WordFeatures</c>: Vector&lt;Single, D·W&gt;, row-major D then word (value of feature d for word t at
/// index d·W + t); words past the caption's count are exactly 0.</item>
/// <item><c>WordCount</c>: Int32, how many of the W word slots are real (the mask is t &lt; WordCount).</item>
/// <item><c>SentenceFeature</c>: Vector&lt;Single, D&gt;, [forward final ‖ backward final].</item>
/// <item><c>ImageFeature</c> (only with an image column, see <see cref="WithImageColumn"/>): Vector&lt;Single, D&gt;.</item>
/// </list>
/// Captions longer than W keep their first W words at inference (logged); unknown words map to <c>&lt;unk&gt;</c>,
/// or are dropped with a warning when the vocabulary has no unknown token (imported checkpoints).
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once: <c>Transform</c> (each thread its own data view and
/// cursor), per-thread <c>PredictionEngine</c>s (an engine itself is not thread-safe) and the public <c>EncodeCaptions</c>/<c>EncodeImages</c> methods give
/// exactly the results of sequential scoring (tested with 8 threads). Scoring only reads the network. TorchSharp 0.107's Scalar race can fail a
/// forward pass while another thread allocates; <see cref="TorchGcGuard.GuardInference"/> (off by default) guards them. Do not train, move (<c>to(device)</c>) or dispose the
/// network while another thread scores.</remarks>
public sealed class TextEmbedTransformer : MirrorGanTransformerBase, IMirrorGanPersistable<TextEmbedTransformer>
{
    internal const string LoaderSignature = "MirrorGanTextEmbed";

    private static readonly MirrorGanModelFormat FormatInfo = new("MGSTEMTE", 0x00010001, 0x00010001, LoaderSignature, typeof(TextEmbedTransformer));

    private readonly TextEncoder _text;
    private readonly DamsmImageEncoder _image;

    /// <summary>Creates the transformer around trained networks (used by the estimator).</summary>
    public TextEmbedTransformer(IHostEnvironment env, Vocabulary vocabulary, TextEncoder textEncoder, DamsmImageEncoder imageEncoder,
        TextEmbedColumns columns, int maxWords, int imageSize, EmptyCaptionHandling emptyCaption = EmptyCaptionHandling.Error)
        : base(env, nameof(TextEmbedTransformer))
    {
        TorchRuntime.EnsureLoaded();
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _text = textEncoder ?? throw new ArgumentNullException(nameof(textEncoder));
        _image = imageEncoder ?? throw new ArgumentNullException(nameof(imageEncoder));
        Columns = columns ?? throw new ArgumentNullException(nameof(columns));
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "maxWords must be at least 1.");
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must be positive.");
        if (imageEncoder.FeatureSize != textEncoder.FeatureSize)
            throw new ArgumentException($"The image encoder projects to {imageEncoder.FeatureSize} features but the text encoder makes {textEncoder.FeatureSize}.", nameof(imageEncoder));
        if (textEncoder.VocabularySize != vocabulary.Count)
            throw new ArgumentException($"The text encoder has {textEncoder.VocabularySize} embeddings but the vocabulary has {vocabulary.Count} words.", nameof(textEncoder));
        MaxWords = maxWords;
        ImageSize = imageSize;
        EmptyCaption = emptyCaption;
        _text.eval();
        _image.eval();
    }

    static MirrorGanModelFormat IMirrorGanPersistable<TextEmbedTransformer>.Format => FormatInfo;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <summary>The vocabulary fitted on the training captions (shared with the STREAM captioner).</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The text encoder (evaluation mode; GLAM uses it frozen).</summary>
    public TextEncoder TextEncoder => _text;

    /// <summary>The DAMSM image encoder (evaluation mode).</summary>
    public DamsmImageEncoder ImageEncoder => _image;

    /// <summary>Column names read and written.</summary>
    public TextEmbedColumns Columns { get; }

    /// <summary>D, the size of word, sentence and image features.</summary>
    public int FeatureSize => _text.FeatureSize;

    /// <summary>W, the number of word slots in the <c>WordFeatures</c> column.</summary>
    public int MaxWords { get; }

    /// <summary>Side the image encoder resizes images to.</summary>
    public int ImageSize { get; }

    /// <summary>What happens to captions without words.</summary>
    public EmptyCaptionHandling EmptyCaption { get; }

    /// <summary>A transformer sharing these networks that also maps <paramref name="imageColumn"/> (or, with null, maps captions only).</summary>
    public TextEmbedTransformer WithImageColumn(string? imageColumn, string imageFeatureColumn = "ImageFeature") =>
        new(Host, Vocabulary, _text, _image, Columns with { ImageColumnName = imageColumn, ImageFeatureColumnName = imageFeatureColumn }, MaxWords, ImageSize, EmptyCaption);

    private Device ModuleDevice => _text.parameters().First().device;

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns
    {
        get
        {
            var list = new List<InputColumnSpec> { InputColumnSpec.Text(Columns.CaptionColumnName) };
            if (Columns.ImageColumnName is not null) list.Add(InputColumnSpec.Image(Columns.ImageColumnName));
            return list;
        }
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns
    {
        get
        {
            var list = new List<OutputColumnSpec>
            {
                new(Columns.WordFeaturesColumnName, new VectorDataViewType(NumberDataViewType.Single, FeatureSize * MaxWords)),
                new(Columns.WordCountColumnName, NumberDataViewType.Int32),
                new(Columns.SentenceFeatureColumnName, new VectorDataViewType(NumberDataViewType.Single, FeatureSize)),
            };
            if (Columns.ImageColumnName is not null) list.Add(new(Columns.ImageFeatureColumnName, new VectorDataViewType(NumberDataViewType.Single, FeatureSize)));
            return list;
        }
    }

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        var captions = inputs.Column<string>(0);
        var features = EncodeCaptions(captions, inputs.RowPositions);
        for (int i = 0; i < inputs.Count; i++)
        {
            outputs.Set(0, i, features.WordFeatures[i]);
            outputs.Set(1, i, features.WordCounts[i]);
            outputs.Set(2, i, features.SentenceFeatures[i]);
        }
        if (Columns.ImageColumnName is not null)
        {
            var images = inputs.Column<MLImage>(1);
            for (int i = 0; i < images.Length; i++)
                if (images[i] is null)
                    throw new InvalidOperationException($"TextEmbed: row {inputs.RowPositions[i]} of column '{Columns.ImageColumnName}' has no image.");
            var global = EncodeImages(images);
            for (int i = 0; i < inputs.Count; i++) outputs.Set(3, i, global[i]);
        }
    }

    /// <summary>Turns a caption into at most <see cref="MaxWords"/> word indices (keep-first), reporting what was changed.</summary>
    /// <returns>The indices; empty when the caption has no known words.</returns>
    public int[] ToWordIds(string? caption, out bool truncated, out List<string> unknownWords)
    {
        unknownWords = new List<string>();
        var ids = Vocabulary.Encode(caption, unknownWords);
        if (ids.Count == 0)
        {
            truncated = false;
            return Array.Empty<int>();
        }
        var (kept, cut) = Vocabulary.Fit(ids, MaxWords);
        truncated = cut;
        return kept;
    }

    /// <summary>
    /// Encodes captions (no gradients). Rows are identified in errors by <paramref name="rowPositions"/> (defaults to 0..n−1).
    /// </summary>
    public TextFeatures EncodeCaptions(IReadOnlyList<string?> captions, IReadOnlyList<long>? rowPositions = null)
    {
        int n = captions.Count, d = FeatureSize;
        var result = new TextFeatures(new float[n][], new int[n], new float[n][]);
        var ids = new List<int[]>();
        var rows = new List<int>();
        int truncatedCount = 0;
        var dropped = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var wordIds = ToWordIds(captions[i], out bool truncated, out var unknown);
            if (truncated) truncatedCount++;
            if (!Vocabulary.HasUnknownToken) dropped.AddRange(unknown);
            if (wordIds.Length == 0)
            {
                if (EmptyCaption == EmptyCaptionHandling.Error)
                {
                    long row = rowPositions is null ? i : rowPositions[i];
                    string why = string.IsNullOrWhiteSpace(captions[i]) ? "is empty or whitespace"
                        : CaptionTokenizer.Tokenize(captions[i], Vocabulary.AsciiOnly).Count == 0 ? "has no word (only punctuation, symbols, control characters" + (Vocabulary.AsciiOnly ? " or non-ASCII letters, which this vocabulary drops" : "") + ")"
                        : "has no word in the vocabulary (unknown words are dropped in compatibility mode)";
                    throw new InvalidOperationException(
                        $"TextEmbed: the caption in row {row} of column '{Columns.CaptionColumnName}' {why}: {CaptionText.Quote(captions[i])}. " +
                        "Remove such rows, or set EmptyCaption = Zeros to emit zero features for them.");
                }
                result.WordFeatures[i] = new float[d * MaxWords];
                result.SentenceFeatures[i] = new float[d];
                continue;
            }
            ids.Add(wordIds);
            rows.Add(i);
        }
        if (truncatedCount > 0 || dropped.Count > 0)
        {
            using var ch = Host.Start("TextEmbed");
            if (truncatedCount > 0) ch.Info($"{truncatedCount} caption(s) had more than {MaxWords} words; their first {MaxWords} were kept.");
            if (dropped.Count > 0) ch.Warning($"{dropped.Count} unknown word(s) were dropped (vocabulary without <unk>): {string.Join(", ", dropped.Distinct().Take(10))}.");
        }
        if (ids.Count == 0) return result;

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor wordsT, sentT;
        using (TorchGcGuard.EnterForInference()) // TorchSharp's Scalar lifetime race applies to inference too: see TorchGcGuard
        {
            _text.eval();
            var (idTensor, lengths) = CaptionBatch.ToTensors(ids, ModuleDevice);
            (wordsT, sentT) = _text.call(idTensor, lengths);
        }
        long tMax = wordsT.shape[2];
        var words = wordsT.cpu().data<float>().ToArray();
        var sent = sentT.cpu().data<float>().ToArray();
        for (int k = 0; k < ids.Count; k++)
        {
            int i = rows[k];
            var wf = new float[d * MaxWords];
            int len = ids[k].Length;
            for (int f = 0; f < d; f++)
                for (int t = 0; t < len; t++)
                    wf[f * MaxWords + t] = words[(k * d + f) * tMax + t];
            result.WordFeatures[i] = wf;
            result.WordCounts[i] = len;
            result.SentenceFeatures[i] = sent.AsSpan(k * d, d).ToArray();
        }
        return result;
    }

    /// <summary>Encodes images into their DAMSM global features (no gradients; evaluation mode).</summary>
    public float[][] EncodeImages(IReadOnlyList<MLImage> images)
    {
        int n = images.Count, plane = 3 * ImageSize * ImageSize;
        var pixels = new float[n * plane];
        for (int i = 0; i < n; i++) ImageTensor.ToChw(images[i], ImageSize, pixels.AsSpan(i * plane, plane));
        using var scope = NewDisposeScope();
        return EncodeImageTensor(tensor(pixels, new long[] { n, 3, ImageSize, ImageSize }));
    }

    /// <summary>Encodes images B×3×H×W in [−1, 1] (e.g. a generator's output) into DAMSM global features.</summary>
    public float[][] EncodeImageTensor(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor global;
        using (TorchGcGuard.EnterForInference()) // TorchSharp's Scalar lifetime race: see TorchGcGuard
        {
            _image.eval();
            (_, global) = _image.call(images.to(ModuleDevice));
        }
        var values = global.cpu().data<float>().ToArray();
        int d = FeatureSize;
        return Enumerable.Range(0, (int)images.shape[0]).Select(i => values.AsSpan(i * d, d).ToArray()).ToArray();
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer)
    {
        var w = writer.Writer;
        writer.WriteString(Columns.CaptionColumnName);
        writer.WriteString(Columns.WordFeaturesColumnName);
        writer.WriteString(Columns.WordCountColumnName);
        writer.WriteString(Columns.SentenceFeatureColumnName);
        writer.WriteString(Columns.ImageFeatureColumnName);
        w.Write(Columns.ImageColumnName is not null);
        if (Columns.ImageColumnName is not null) writer.WriteString(Columns.ImageColumnName);
        w.Write(MaxWords);
        w.Write(ImageSize);
        w.Write((int)EmptyCaption);
        w.Write(_text.EmbeddingSize);
        w.Write(_text.HiddenSize);
        writer.WriteString(_image.Backbone.Kind);
        writer.WriteEntry("Vocabulary.bin", Vocabulary.Save);
        writer.WriteModule("TextEncoder.bin", _text);
        writer.WriteModule("ImageEncoder.bin", _image);
    }

    /// <summary>Loads what <see cref="SaveModel"/> wrote.</summary>
    public static TextEmbedTransformer Load(IHostEnvironment env, ModelReader reader)
    {
        var r = reader.Reader;
        string caption = reader.ReadString(), wordFeatures = reader.ReadString(), wordCount = reader.ReadString(),
            sentence = reader.ReadString(), imageFeature = reader.ReadString();
        string? image = r.ReadBoolean() ? reader.ReadString() : null;
        // Bounds far above any real model; they stop a damaged file from sizing a network of terabytes.
        int maxWords = reader.ReadInt32("MaxWords", 1, 100_000), imageSize = reader.ReadInt32("ImageSize", 1, 16_384), empty = r.ReadInt32(),
            embedding = reader.ReadInt32("EmbeddingSize", 1, 16_384), hidden = reader.ReadInt32("HiddenSize", 1, 16_384);
        string backboneKind = reader.ReadString();
        if (!Enum.IsDefined(typeof(EmptyCaptionHandling), empty))
            throw new InvalidDataException($"TextEmbed model: empty-caption mode {empty} is unknown; the model file is damaged or newer than this build.");
        Vocabulary? vocabulary = null;
        reader.ReadEntry("Vocabulary.bin", br => vocabulary = Vocabulary.Load(br));
        TorchRuntime.EnsureLoaded();
        var text = new TextEncoder(vocabulary!.Count, embedding, hidden);
        var imageEncoder = new DamsmImageEncoder(ImageBackbones.Create(backboneKind), 2 * hidden);
        reader.ReadModule("TextEncoder.bin", text);
        reader.ReadModule("ImageEncoder.bin", imageEncoder);
        var columns = new TextEmbedColumns(caption, image, wordFeatures, wordCount, sentence, imageFeature);
        return new TextEmbedTransformer(env, vocabulary, text, imageEncoder, columns, maxWords, imageSize, (EmptyCaptionHandling)empty);
    }
}

/// <summary>Column names of <see cref="TextEmbedTransformer"/>.</summary>
/// <param name="CaptionColumnName">Input caption column (Text).</param>
/// <param name="ImageColumnName">Optional input image column (MLImage); null maps captions only.</param>
/// <param name="WordFeaturesColumnName">Output word features, Vector&lt;Single, D·W&gt; (D-major, zero past the count).</param>
/// <param name="WordCountColumnName">Output Int32 count of real words.</param>
/// <param name="SentenceFeatureColumnName">Output sentence feature, Vector&lt;Single, D&gt;.</param>
/// <param name="ImageFeatureColumnName">Output image global feature, Vector&lt;Single, D&gt; (only with <paramref name="ImageColumnName"/>).</param>
public sealed record TextEmbedColumns(
    string CaptionColumnName = "Caption",
    string? ImageColumnName = null,
    string WordFeaturesColumnName = "WordFeatures",
    string WordCountColumnName = "WordCount",
    string SentenceFeatureColumnName = "SentenceFeature",
    string ImageFeatureColumnName = "ImageFeature");

/// <summary>Features of a list of captions (one entry per caption, in order).</summary>
/// <param name="WordFeatures">D·W floats per caption, D-major, zero past its count.</param>
/// <param name="WordCounts">Real words per caption (0 for an empty caption under <see cref="EmptyCaptionHandling.Zeros"/>).</param>
/// <param name="SentenceFeatures">D floats per caption.</param>
public sealed record TextFeatures(float[][] WordFeatures, int[] WordCounts, float[][] SentenceFeatures);
