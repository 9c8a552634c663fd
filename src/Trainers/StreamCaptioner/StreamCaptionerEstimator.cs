using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>
/// Pretrains the STREAM image captioner (teacher-forced cross-entropy, Adam) on an image column and a caption column
/// and returns a <see cref="StreamCaptionerTransformer"/>. Framing: the image feature is the first input step and
/// predicts word 1; targets are [w1 … wL, &lt;end&gt;], so generation stops at index 0.
/// </summary>
/// <remarks>Thread-safety: not thread-safe; call <c>Fit</c> from one thread at a time. Fitting seeds torch's process-wide
/// random generator, so two fits running at once (even on different instances) are not reproducible. The returned
/// transformer is safe to share for scoring.</remarks>
public sealed class StreamCaptionerEstimator : IEstimator<StreamCaptionerTransformer>
{
    private readonly IHost _host;
    private readonly StreamCaptionerOptions _options;
    private readonly Vocabulary? _vocabulary;

    /// <summary>Creates the estimator (prefer <c>mlContext.Transforms.StreamCaptioner(options, vocabulary)</c>).</summary>
    /// <param name="env">The ML.NET environment.</param>
    /// <param name="options">The options; copied, so later changes to them do not reach this estimator.</param>
    /// <param name="vocabulary">
    /// The vocabulary to caption with: a fitted text encoder's (<c>textEmbedModel.Vocabulary</c>), so the captioner and STEM
    /// share the word ↔ index map, as MirrorGAN's re-description loss needs. Null: built from the training captions with
    /// <see cref="Vocabulary.Build"/> (what STEM does with the same captions).
    /// </param>
    public StreamCaptionerEstimator(IHostEnvironment env, StreamCaptionerOptions options, Vocabulary? vocabulary = null)
    {
        if (env is null) throw new ArgumentNullException(nameof(env));
        _host = env.Register(nameof(StreamCaptionerEstimator));
        if (options is null) throw new ArgumentNullException(nameof(options));
        options.Validate();
        _options = options.Clone();
        _vocabulary = vocabulary;
    }

    /// <summary>Test hook: replaces the loss (term <c>caption</c>) before the finiteness check.</summary>
    internal Func<string, Tensor, Tensor>? LossHook { get; set; }

    /// <summary>
    /// The output shape: the input plus the caption and score columns. Checks the columns <see cref="Fit"/> reads (image
    /// and caption), with the messages <see cref="Fit"/> gives.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (inputSchema is null) throw new ArgumentNullException(nameof(inputSchema));
        SchemaShapes.Require(inputSchema, "StreamCaptioner", _options.ImageColumnName, "StreamCaptionerOptions.ImageColumnName",
            t => t is Microsoft.ML.Transforms.Image.ImageDataViewType, "Image (MLImage; load files with mlContext.Transforms.LoadImages)");
        SchemaShapes.Require(inputSchema, "StreamCaptioner", _options.CaptionColumnName, "StreamCaptionerOptions.CaptionColumnName",
            t => t is TextDataViewType, "Text (string)");
        return SchemaShapes.With(inputSchema,
            SchemaShapes.Scalar(_options.OutputCaptionColumnName, TextDataViewType.Instance),
            SchemaShapes.Scalar(_options.OutputScoreColumnName, NumberDataViewType.Single));
    }

    /// <inheritdoc/>
    public StreamCaptionerTransformer Fit(IDataView input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        GetOutputSchema(SchemaShapes.Of(input.Schema)); // the same checks and messages as a pipeline's schema propagation
        TorchRuntime.EnsureLoaded();
        var o = _options;
        using var ch = _host.Start("Fit");
        var (pixels, captions) = StreamTrainingData.Read(input, o.ImageColumnName, o.CaptionColumnName, o.ImageSize);
        var vocabulary = _vocabulary ?? Vocabulary.Build(captions);
        var (rows, tokens, unknown) = StreamTrainingData.Encode(captions, vocabulary, o.MaxWords);
        if (unknown > 0)
            ch.Warning(MessageSensitivity.None, $"{unknown} caption words are not in the given vocabulary ({(vocabulary.HasUnknownToken ? "mapped to <unk>" : "dropped")}).");
        if (rows.Length < 2)
            throw new InvalidOperationException($"StreamCaptioner needs at least 2 rows with a non-empty caption in column '{o.CaptionColumnName}'; found {rows.Length}.");

        torch.manual_seed(o.Seed);
        var device = TorchRuntime.ResolveDevice(o.Device);
        var net = new StreamCaptionNet(o.Backbone.Create(), vocabulary.Count, o.EmbedSize, o.HiddenSize, o.BatchNormMomentum, o.RegionGrid);
        net.to(device);
        var parameters = net.Encoder.TrainableParameters().Concat(net.Decoder.parameters()).ToList();
        using var optimizer = torch.optim.Adam(parameters, o.LearningRate);
        ch.Info(MessageSensitivity.None, $"STREAM pretraining: {rows.Length} captions, vocabulary {vocabulary.Count}, {o.Epochs} epochs, batch {o.BatchSize}, device {device}.");

        var random = new Random(o.Seed);
        var clock = Stopwatch.StartNew();
        int step = 0, plane = 3 * o.ImageSize * o.ImageSize;
        double sum = 0;
        int count = 0;
        bool stop = false;
        for (int epoch = 1; epoch <= o.Epochs && !stop; epoch++)
        {
            var order = Enumerable.Range(0, rows.Length).ToArray();
            random.Shuffle(order);
            for (int start = 0; start < order.Length && !stop; start += o.BatchSize)
            {
                int b = Math.Min(o.BatchSize, order.Length - start);
                if (b < 2) break; // BatchNorm cannot train on one row
                using (TorchGcGuard.Enter()) // TorchSharp's Scalar lifetime race: see TorchGcGuard
                using (var scope = torch.NewDisposeScope())
                {
                    var batch = order.AsSpan(start, b).ToArray();
                    var (images, ids, lengths) = StreamTrainingData.Batch(batch, rows, pixels, tokens, plane, o.ImageSize, device);
                    net.train();
                    if (net.Encoder.Backbone.IsFrozen) net.Encoder.Backbone.eval();
                    var loss = net.Loss(images, ids, lengths);
                    if (LossHook is not null) loss = LossHook("caption", loss);
                    // Checked before backward: one NaN step would silently make every weight NaN.
                    double value = loss.item<float>();
                    if (!double.IsFinite(value))
                        throw NonFiniteLossException.Pretraining("StreamCaptioner (STREAM pretraining)", "caption", step, epoch, value,
                            "Lower StreamCaptionerOptions.LearningRate, or check the captions and images.");
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    sum += value;
                    count++;
                }
                step++;
                if (o.MaxTrainingTime is { } limit && clock.Elapsed >= limit) stop = true;
                bool epochEnd = start + o.BatchSize >= order.Length || stop;
                if (step % o.ReportEvery == 0 || epochEnd)
                {
                    var p = new StreamProgress(epoch, step, count > 0 ? sum / count : double.NaN, clock.Elapsed, epochEnd);
                    ch.Info(MessageSensitivity.None, $"epoch {p.Epoch} step {p.Step} loss {p.Loss:F4} ({p.Elapsed.TotalSeconds:F0} s)");
                    o.Progress?.Report(p);
                    sum = 0;
                    count = 0;
                }
            }
        }
        if (stop) ch.Info(MessageSensitivity.None, $"Stopped after {clock.Elapsed.TotalSeconds:F0} s (MaxTrainingTime).");
        net.eval();
        net.to(torch.CPU); // captioning and saving are device-independent; move back with Network.to(...) for GPU use
        return new StreamCaptionerTransformer(_host, net, vocabulary, o.ImageColumnName, o.OutputCaptionColumnName, o.OutputScoreColumnName,
            o.ImageSize, o.MaxWords, o.BeamWidth);
    }
}
