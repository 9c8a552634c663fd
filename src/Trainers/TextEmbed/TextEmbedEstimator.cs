using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>
/// The <c>TextEmbed</c> estimator: builds the vocabulary from the training captions, pretrains the STEM text
/// encoder and the DAMSM image encoder with the DAMSM losses, and returns a <see cref="TextEmbedTransformer"/>.
/// The training rows are read once into memory (images as 3×S×S floats at <see cref="TextEmbedOptions.ImageSize"/>,
/// 48 KB per row at 64 px); images are not augmented (no flips: captions may say "left"/"right").
/// </summary>
/// <remarks>Thread-safety: not thread-safe; call <c>Fit</c> from one thread at a time. Fitting seeds torch's process-wide
/// random generator, so two fits running at once (even on different instances) are not reproducible. The returned
/// transformer is safe to share for scoring.</remarks>
public sealed class TextEmbedEstimator : IEstimator<TextEmbedTransformer>
{
    private readonly IHost _host;

    /// <summary>Creates the estimator (prefer <c>mlContext.Transforms.TextEmbed(options)</c>).</summary>
    public TextEmbedEstimator(IHostEnvironment env, TextEmbedOptions options)
    {
        if (env is null) throw new ArgumentNullException(nameof(env));
        _host = env.Register(nameof(TextEmbedEstimator));
        if (options is null) throw new ArgumentNullException(nameof(options));
        Validate(options);
        Options = options.Clone();
    }

    /// <summary>A copy of the options this estimator was created with (changing the caller's object later does not change it).</summary>
    public TextEmbedOptions Options { get; }

    /// <summary>Test hook passed to the DAMSM trainer (replaces a loss term by name before the finiteness check).</summary>
    internal Func<string, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>? LossHook { get; set; }

    private static void Validate(TextEmbedOptions o)
    {
        void Positive(int v, string name) { if (v < 1) throw new ArgumentOutOfRangeException(name, v, $"{name} must be positive."); }
        Positive(o.EmbeddingSize, nameof(o.EmbeddingSize));
        Positive(o.HiddenSize, nameof(o.HiddenSize));
        Positive(o.MaxWords, nameof(o.MaxWords));
        Positive(o.ImageSize, nameof(o.ImageSize));
        Positive(o.BatchSize, nameof(o.BatchSize));
        if (o.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(o.Epochs), o.Epochs, "Epochs must not be negative.");
        if (!(o.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(o.LearningRate), o.LearningRate, "LearningRate must be positive.");
    }

    /// <summary>Reads the rows, builds the vocabulary and runs DAMSM pretraining.</summary>
    public TextEmbedTransformer Fit(IDataView input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        GetOutputSchema(SchemaShapes.Of(input.Schema)); // the same checks and messages as a pipeline's schema propagation
        using var ch = _host.Start("TextEmbed");
        var rows = ReadRows(input);
        var vocabulary = Vocabulary.Build(rows.Select(r => r.Caption), Options.UseUnknownToken, Options.AsciiOnly);
        var examples = new List<DamsmExample>(rows.Count);
        int empty = 0;
        foreach (var r in rows)
        {
            var ids = vocabulary.Encode(r.Caption);
            if (ids.Count == 0) { empty++; continue; }
            examples.Add(new DamsmExample(ids.ToArray(), r.Image, r.ClassId));
        }
        if (empty > 0) ch.Warning(MessageSensitivity.None, $"TextEmbed: {empty} training row(s) have no words in column '{Options.CaptionColumnName}' and were skipped.");
        ch.Info(MessageSensitivity.None, $"TextEmbed: {examples.Count} rows, vocabulary of {vocabulary.Count} words (fingerprint {vocabulary.Fingerprint}).");
        var trainer = new DamsmTrainer(Options, vocabulary, ch, fallbackSeed: _host.Rand.Next()) { LossHook = LossHook };
        trainer.Fit(examples);
        var columns = new TextEmbedColumns(Options.CaptionColumnName, Options.TransformImages ? Options.ImageColumnName : null,
            Options.WordFeaturesColumnName, Options.WordCountColumnName, Options.SentenceFeatureColumnName, Options.ImageFeatureColumnName);
        return new TextEmbedTransformer(_host, vocabulary, trainer.Text, trainer.Image, columns, Options.MaxWords, Options.ImageSize, Options.EmptyCaption);
    }

    private sealed record Row(string Caption, float[] Image, int ClassId);

    private List<Row> ReadRows(IDataView input)
    {
        var schema = input.Schema;
        var caption = schema[Options.CaptionColumnName];
        var image = schema[Options.ImageColumnName];
        DataViewSchema.Column? classCol = Options.ClassIdColumnName is null ? null : schema[Options.ClassIdColumnName];
        var needed = new List<DataViewSchema.Column> { caption, image };
        if (classCol is { } cc) needed.Add(cc);
        var rows = new List<Row>();
        using var cursor = input.GetRowCursor(needed);
        var getCaption = cursor.GetGetter<ReadOnlyMemory<char>>(caption);
        var getImage = cursor.GetGetter<MLImage>(image);
        var getClass = classCol is { } c2 ? cursor.GetGetter<int>(c2) : null;
        ReadOnlyMemory<char> text = default;
        MLImage? picture = null;
        int cls = 0;
        while (cursor.MoveNext())
        {
            getCaption(ref text);
            getImage(ref picture!);
            if (picture is null) throw new InvalidOperationException($"TextEmbed: row {cursor.Position} of column '{Options.ImageColumnName}' has no image.");
            getClass?.Invoke(ref cls);
            rows.Add(new Row(text.ToString(), ImageTensor.ToChw(picture, Options.ImageSize), cls));
        }
        if (rows.Count < 2) throw new InvalidOperationException($"TextEmbed needs at least 2 training rows; the data has {rows.Count}.");
        return rows;
    }

    /// <summary>
    /// The output shape: the input plus WordFeatures, WordCount, SentenceFeature (and ImageFeature with
    /// <see cref="TextEmbedOptions.TransformImages"/>). Checks the columns <see cref="Fit"/> reads (caption, image and
    /// class id), with the messages <see cref="Fit"/> gives.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (inputSchema is null) throw new ArgumentNullException(nameof(inputSchema));
        SchemaShapes.Require(inputSchema, "TextEmbed", Options.CaptionColumnName, "TextEmbedOptions.CaptionColumnName", t => t is TextDataViewType, "Text (string)");
        SchemaShapes.Require(inputSchema, "TextEmbed", Options.ImageColumnName, "TextEmbedOptions.ImageColumnName", t => t is ImageDataViewType,
            "Image (MLImage; load files with mlContext.Transforms.LoadImages)");
        if (Options.ClassIdColumnName is { } classId)
            SchemaShapes.Require(inputSchema, "TextEmbed", classId, "TextEmbedOptions.ClassIdColumnName", t => t == NumberDataViewType.Int32,
                "Int32 (set ClassIdColumnName = null to train without same-class masking)");
        var added = new List<SchemaShape.Column>
        {
            SchemaShapes.Vector(Options.WordFeaturesColumnName, NumberDataViewType.Single),
            SchemaShapes.Scalar(Options.WordCountColumnName, NumberDataViewType.Int32),
            SchemaShapes.Vector(Options.SentenceFeatureColumnName, NumberDataViewType.Single),
        };
        if (Options.TransformImages) added.Add(SchemaShapes.Vector(Options.ImageFeatureColumnName, NumberDataViewType.Single));
        return SchemaShapes.With(inputSchema, added.ToArray());
    }
}
