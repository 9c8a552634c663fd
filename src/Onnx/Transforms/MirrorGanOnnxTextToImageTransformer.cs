using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>Options of <see cref="MirrorGanOnnxTextToImageTransformer"/>.</summary>
public sealed class MirrorGanOnnxTextToImageOptions
{
    /// <summary>Folder written by <c>ExportToOnnx</c> (manifest, <c>text_encoder.onnx</c>, <c>generator.onnx</c>).</summary>
    public string ModelFolder { get; set; } = "";

    /// <summary>Input caption column (Text).</summary>
    public string CaptionColumnName { get; set; } = "Caption";

    /// <summary>Output image column (<see cref="MLImage"/>, RGBA, the last stage's size).</summary>
    public string OutputImageColumnName { get; set; } = "GeneratedImage";

    /// <summary>Optional output column with the raw image, Vector&lt;Single, 3·S·S&gt; CHW in [−1, 1]; null: none.</summary>
    public string? OutputPixelsColumnName { get; set; }

    /// <summary>Noise seed of every row (<see cref="Glam.GenerationNoise"/>): the same caption and seed give the same image here and from the model.zip it was exported from.</summary>
    public int Seed { get; set; }

    /// <summary>Rows per ONNX Runtime call.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Session options (CPU by default; CUDA with fallback).</summary>
    public OnnxSessionOptions Session { get; set; } = new();
}

/// <summary>
/// Caption → image with ONNX Runtime only (<c>mlContext.Transforms.MirrorGanOnnxTextToImage</c>): reads a caption column
/// and adds the generated image (and optionally its raw pixels). No TorchSharp code runs; sessions are shared across
/// threads and cursors. Captions without a known word fail with the row and column named. Dispose it to free the
/// sessions. Not saved into ML.NET model zips: keep the export folder and create the transformer from it.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once (<c>Transform</c> over per-thread data views,
/// per-thread <c>PredictionEngine</c>s, <c>Model.Generate</c>); ONNX Runtime's <c>InferenceSession.Run</c> is thread-safe and the instance
/// holds no per-call state (tested with 8 threads). Dispose it only after every scoring thread has finished.</remarks>
public sealed class MirrorGanOnnxTextToImageTransformer : MirrorGanTransformerBase, IDisposable
{
    private static readonly MirrorGanModelFormat FormatInfo = new("MGONXT2I", 0x00010001, 0x00010001, "MirrorGanOnnxTextToImage", typeof(MirrorGanOnnxTextToImageTransformer));

    private readonly MirrorGanOnnxTextToImage _model;

    /// <summary>Opens the export folder named in <paramref name="options"/>.</summary>
    public MirrorGanOnnxTextToImageTransformer(IHostEnvironment env, MirrorGanOnnxTextToImageOptions options)
        : base(env, nameof(MirrorGanOnnxTextToImageTransformer))
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        _model = MirrorGanOnnxTextToImage.Open(options.ModelFolder, options.Session, Warn);
    }

    private void Warn(string message)
    {
        using var ch = Host.Start(nameof(MirrorGanOnnxTextToImageTransformer));
        ch.Warning(MessageSensitivity.None, message);
    }

    /// <summary>The options.</summary>
    public MirrorGanOnnxTextToImageOptions Options { get; }

    /// <summary>The ONNX model (for direct calls outside a pipeline).</summary>
    public MirrorGanOnnxTextToImage Model => _model;

    /// <summary>Side of the generated images.</summary>
    public int ImageSize => _model.ImageSize;

    /// <summary>"CPU" or "CUDA": where the generator runs after any fallback.</summary>
    public string Provider => _model.Provider;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <inheritdoc/>
    protected override int BatchSize => Options.BatchSize;

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns => new[] { InputColumnSpec.Text(Options.CaptionColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns
    {
        get
        {
            var list = new List<OutputColumnSpec> { new(Options.OutputImageColumnName, new ImageDataViewType(ImageSize, ImageSize)) };
            if (Options.OutputPixelsColumnName is not null) list.Add(new(Options.OutputPixelsColumnName, new VectorDataViewType(NumberDataViewType.Single, 3 * ImageSize * ImageSize)));
            return list;
        }
    }

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        var captions = inputs.Column<string?>(0);
        var ids = new int[captions.Length][];
        for (int i = 0; i < captions.Length; i++)
        {
            ids[i] = _model.Tokenize(captions[i]);
            if (ids[i].Length == 0)
                throw new InvalidOperationException(
                    $"MirrorGanOnnxTextToImage: the caption in row {inputs.RowPositions[i]} of column '{Options.CaptionColumnName}' has no word in the vocabulary: {Microsoft.ML.MirrorGan.Text.CaptionText.Quote(captions[i])}. Remove such rows.");
        }
        var images = _model.Generate(ids, Enumerable.Repeat(Options.Seed, ids.Length).ToArray());
        for (int i = 0; i < images.Length; i++)
        {
            outputs.Set(0, i, ImageTensor.FromChw(images[i], ImageSize));
            if (Options.OutputPixelsColumnName is not null) outputs.Set(1, i, images[i]);
        }
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer) => throw new NotSupportedException(
        "ONNX-backed MirrorGAN transformers are not saved into ML.NET model zips. Keep the export folder and create the transformer from it " +
        "(mlContext.Transforms.MirrorGanOnnxTextToImage), or save the TorchSharp model instead.");

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
