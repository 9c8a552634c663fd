using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>Options of <see cref="MirrorGanOnnxCaptionerTransformer"/>.</summary>
public sealed class MirrorGanOnnxCaptionerOptions
{
    /// <summary>Folder written by <c>ExportToOnnx</c> (manifest, <c>stream_encoder.onnx</c>, <c>stream_decoder_step.onnx</c>).</summary>
    public string ModelFolder { get; set; } = "";

    /// <summary>Input image column (<see cref="MLImage"/>; any size, resized).</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Output caption column (Text).</summary>
    public string OutputCaptionColumnName { get; set; } = "GeneratedCaption";

    /// <summary>Output score column (Single, total log-probability).</summary>
    public string OutputScoreColumnName { get; set; } = "CaptionScore";

    /// <summary>Beam width; null: the exported model's.</summary>
    public int? BeamWidth { get; set; }

    /// <summary>Longest caption in words; null: the exported model's.</summary>
    public int? MaxWords { get; set; }

    /// <summary>Rows per encoder call.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Session options (CPU by default; CUDA with fallback).</summary>
    public OnnxSessionOptions Session { get; set; } = new();
}

/// <summary>
/// Image → caption with ONNX Runtime only (<c>mlContext.Transforms.MirrorGanOnnxCaptioner</c>): the same columns as the
/// TorchSharp <see cref="StreamCaptionerTransformer"/>. Sessions are shared across threads. Dispose it to free them.
/// Not saved into ML.NET model zips: keep the export folder.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once (<c>Transform</c> over per-thread data views,
/// per-thread <c>PredictionEngine</c>s, <c>Model</c>'s caption methods); ONNX Runtime's <c>InferenceSession.Run</c> is thread-safe and the instance
/// holds no per-call state (tested with 8 threads). Dispose it only after every scoring thread has finished.</remarks>
public sealed class MirrorGanOnnxCaptionerTransformer : MirrorGanTransformerBase, IDisposable
{
    private static readonly MirrorGanModelFormat FormatInfo = new("MGONXCAP", 0x00010001, 0x00010001, "MirrorGanOnnxCaptioner", typeof(MirrorGanOnnxCaptionerTransformer));

    private readonly MirrorGanOnnxCaptioner _model;

    /// <summary>Opens the export folder named in <paramref name="options"/>.</summary>
    public MirrorGanOnnxCaptionerTransformer(IHostEnvironment env, MirrorGanOnnxCaptionerOptions options)
        : base(env, nameof(MirrorGanOnnxCaptionerTransformer))
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        _model = MirrorGanOnnxCaptioner.Open(options.ModelFolder, options.Session, message =>
        {
            using var ch = Host.Start(nameof(MirrorGanOnnxCaptionerTransformer));
            ch.Warning(MessageSensitivity.None, message);
        });
    }

    /// <summary>The options.</summary>
    public MirrorGanOnnxCaptionerOptions Options { get; }

    /// <summary>The ONNX model (for direct calls outside a pipeline).</summary>
    public MirrorGanOnnxCaptioner Model => _model;

    /// <summary>"CPU" or "CUDA".</summary>
    public string Provider => _model.Provider;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <inheritdoc/>
    protected override int BatchSize => Options.BatchSize;

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns => new[] { InputColumnSpec.Image(Options.ImageColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns => new[]
    {
        new OutputColumnSpec(Options.OutputCaptionColumnName, TextDataViewType.Instance),
        new OutputColumnSpec(Options.OutputScoreColumnName, NumberDataViewType.Single),
    };

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        var images = inputs.Column<MLImage?>(0);
        var pixels = StreamImages.ToChwBatch(images, _model.ImageSize, Options.ImageColumnName, inputs.RowPositions);
        var captions = _model.Caption(pixels, images.Length, Options.BeamWidth, Options.MaxWords);
        for (int i = 0; i < captions.Length; i++)
        {
            outputs.Set(0, i, _model.Vocabulary.Decode(captions[i].Ids));
            outputs.Set(1, i, captions[i].LogProbability);
        }
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer) => throw new NotSupportedException(
        "ONNX-backed MirrorGAN transformers are not saved into ML.NET model zips. Keep the export folder and create the transformer from it " +
        "(mlContext.Transforms.MirrorGanOnnxCaptioner), or save the TorchSharp model instead.");

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
