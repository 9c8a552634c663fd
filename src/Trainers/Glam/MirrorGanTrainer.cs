using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// MirrorGAN's estimator: trains the generator (GLAM) and its discriminators on (caption, image) rows with a frozen
/// <c>TextEmbed</c> (STEM) and a frozen STREAM captioner, and returns the fitted generation chain
/// TextEmbed → <see cref="MirrorGanTransformer"/> (EMA weights) → StreamCaptioner: captions (and an optional seed
/// column) in, images and their re-captions out. Pretrained text encoder and captioner are passed to the constructor;
/// those not given are fitted first on the same rows with <see cref="MirrorGanTrainerOptions.TextEmbedOptions"/> and
/// <see cref="MirrorGanTrainerOptions.StreamCaptionerOptions"/>. See <see cref="MirrorGanTrainerOptions"/>.
/// </summary>
/// <remarks>The estimator keeps nothing from a fit: its options are copied when it is created and never changed.
/// Thread-safety: not thread-safe; call <c>Fit</c> from one thread at a time. Fitting seeds torch's process-wide
/// random generator, so two fits running at once (even on different instances) are not reproducible. The returned
/// chain is safe to share for scoring.</remarks>
public sealed class MirrorGanTrainer : IEstimator<TransformerChain<ITransformer>>
{
    private readonly IHost _host;
    private readonly TextEmbedTransformer? _textEmbed;
    private readonly StreamCaptionerTransformer? _captioner;

    /// <summary>Creates the trainer (prefer <c>mlContext.Transforms.MirrorGan(options, textEmbed, streamCaptioner)</c>).</summary>
    /// <param name="env">The ML.NET environment.</param>
    /// <param name="options">The options; copied, so later changes to them do not reach this trainer.</param>
    /// <param name="textEmbed">A fitted TextEmbed (STEM), used frozen; null: fitted first with <see cref="MirrorGanTrainerOptions.TextEmbedOptions"/>.</param>
    /// <param name="streamCaptioner">
    /// A fitted STREAM captioner with <paramref name="textEmbed"/>'s vocabulary, used frozen; null: fitted first with
    /// <see cref="MirrorGanTrainerOptions.StreamCaptionerOptions"/> and the text encoder's vocabulary (when λ &gt; 0).
    /// </param>
    public MirrorGanTrainer(IHostEnvironment env, MirrorGanTrainerOptions options, TextEmbedTransformer? textEmbed = null, StreamCaptionerTransformer? streamCaptioner = null)
    {
        if (env is null) throw new ArgumentNullException(nameof(env));
        _host = env.Register(nameof(MirrorGanTrainer));
        if (options is null) throw new ArgumentNullException(nameof(options));
        options.Validate();
        if (streamCaptioner is not null && textEmbed is null)
            throw new ArgumentException("A fitted STREAM captioner needs the TextEmbed whose vocabulary it was trained with: pass textEmbed too, or neither.", nameof(textEmbed));
        if (textEmbed is not null) streamCaptioner?.EnsureCompatibleWith(textEmbed.Vocabulary);
        Options = options.Clone();
        _textEmbed = textEmbed;
        _captioner = streamCaptioner;
    }

    /// <summary>A copy of the options this trainer was created with.</summary>
    public MirrorGanTrainerOptions Options { get; }

    /// <summary>Test hook passed to each step.</summary>
    internal Func<string, Tensor, Tensor>? LossHook { get; set; }

    /// <summary>
    /// The fitted chain's output on rows shaped like <paramref name="inputSchema"/>: the input plus TextEmbed's word and
    /// sentence features, the generated image (and the optional columns of <see cref="MirrorGanTrainerOptions.Columns"/>)
    /// and the captioner's caption and score. Checks the columns <see cref="Fit"/> reads, with the messages <see cref="Fit"/> gives.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (inputSchema is null) throw new ArgumentNullException(nameof(inputSchema));
        var o = Options;
        SchemaShapes.Require(inputSchema, "MirrorGan", o.CaptionColumnName, "MirrorGanTrainerOptions.CaptionColumnName", t => t is TextDataViewType, "Text (string)");
        SchemaShapes.Require(inputSchema, "MirrorGan", o.ImageColumnName, "MirrorGanTrainerOptions.ImageColumnName", t => t is ImageDataViewType,
            "Image (MLImage; load files with mlContext.Transforms.LoadImages)");
        // What is fitted here reads its columns too (the class id column of TextEmbed's DAMSM pretraining).
        if (_textEmbed is null) new TextEmbedEstimator(_host, TextEmbedOptionsToFit()).GetOutputSchema(inputSchema);
        var text = _textEmbed?.Columns ?? TextColumnsToFit();
        var added = new List<SchemaShape.Column>
        {
            SchemaShapes.Vector(text.WordFeaturesColumnName, NumberDataViewType.Single),
            SchemaShapes.Scalar(text.WordCountColumnName, NumberDataViewType.Int32),
            SchemaShapes.Vector(text.SentenceFeatureColumnName, NumberDataViewType.Single),
        };
        var cols = GeneratorColumns(text);
        var network = o.Network;
        added.Add(SchemaShapes.Scalar(cols.GeneratedImageColumnName, new ImageDataViewType()));
        added.AddRange(cols.StageImageColumns(network.Stages).Select(c => SchemaShapes.Scalar(c.Name, new ImageDataViewType())));
        added.AddRange(cols.AttentionColumns(network.Stages).Select(c => SchemaShapes.Vector(c.Name, NumberDataViewType.Single)));
        if (cols.GeneratedPixelsColumnName is not null) added.Add(SchemaShapes.Vector(cols.GeneratedPixelsColumnName, NumberDataViewType.Single));
        if (_captioner is { } c)
        {
            added.Add(SchemaShapes.Scalar(c.OutputCaptionColumnName, TextDataViewType.Instance));
            added.Add(SchemaShapes.Scalar(c.OutputScoreColumnName, NumberDataViewType.Single));
        }
        else if (o.StreamWeight > 0)
        {
            var co = CaptionerOptionsToFit();
            new StreamCaptionerEstimator(_host, co).GetOutputSchema(inputSchema);
            added.Add(SchemaShapes.Scalar(co.OutputCaptionColumnName, TextDataViewType.Instance));
            added.Add(SchemaShapes.Scalar(co.OutputScoreColumnName, NumberDataViewType.Single));
        }
        return SchemaShapes.With(inputSchema, added.ToArray());
    }

    /// <summary>
    /// Fits what was not given (TextEmbed, captioner), trains the GAN and returns the chain TextEmbed → MirrorGan →
    /// StreamCaptioner (the last only when a captioner was given or λ &gt; 0). Throws <see cref="OperationCanceledException"/> on
    /// cancellation (after writing a checkpoint) and <see cref="NonFiniteLossException"/> on a non-finite loss.
    /// </summary>
    public TransformerChain<ITransformer> Fit(IDataView input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        GetOutputSchema(SchemaShapes.Of(input.Schema)); // the same checks and messages as a pipeline's schema propagation
        TorchRuntime.EnsureLoaded();
        var o = Options;
        using var ch = _host.Start("MirrorGan");
        var text = _textEmbed ?? FitTextEmbed(input, ch);
        var captioner = _captioner ?? (o.StreamWeight > 0 ? FitCaptioner(input, text, ch) : null);
        var generator = FitGenerator(input, text, captioner, ch);
        return Chain(text, generator, captioner);
    }

    private MirrorGanTransformer FitGenerator(IDataView input, TextEmbedTransformer text, StreamCaptionerTransformer? captioner, IChannel ch)
    {
        var o = Options;
        var device = TorchRuntime.ResolveDevice(o.Device);
        torch.manual_seed(o.Seed);
        var network = o.Network with { TextDim = text.FeatureSize };
        var clock = Stopwatch.StartNew();
        var data = GlamTrainingData.Read(input, o.CaptionColumnName, o.ImageColumnName, network.FinalSize, text, m => ch.Warning(MessageSensitivity.None, m));
        ch.Info(MessageSensitivity.None, $"MirrorGan: {data.Count} captions, {data.Images.Length} images at {network.FinalSize} px read in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"{network.Stages} stage(s), GF {network.GeneratorDim}, DF {network.DiscriminatorDim}, batch {o.BatchSize}, λ {o.StreamWeight}, device {device}.");
        ch.Info(MessageSensitivity.None, $"MirrorGan: {TorchRuntime.CpuConvolutions}.");
        if (data.Count < o.BatchSize)
            throw new InvalidOperationException($"MirrorGanTrainer: {data.Count} training captions are fewer than BatchSize {o.BatchSize}; lower BatchSize or add rows.");

        var g = new MirrorGanGeneratorNet(network);
        if (network.StandardizeSentence) g.SetSentenceStatistics(data.Sentences);
        var ds = Enumerable.Range(0, network.Stages).Select(i => new GlamDiscriminator(network.BaseSize << i, network.DiscriminatorDim, network.TextDim)).ToList();
        g.to(device);
        foreach (var d in ds) d.to(device);
        using var ema = new ParameterEma(g, o.EmaDecay);
        using var gOpt = torch.optim.Adam(g.parameters(), o.GeneratorLearningRate, o.Beta1, o.Beta2);
        var dOpts = ds.Select(d => torch.optim.Adam(d.parameters(), o.DiscriminatorLearningRate, o.Beta1, o.Beta2)).ToList();
        var state = new GlamTrainingState(g, ema, ds, gOpt, dOpts);
        string? checkpoint = o.CheckpointFolder is null ? null : Path.Combine(o.CheckpointFolder, GlamCheckpoint.FileName);
        int start = 0;
        if (checkpoint is not null && GlamCheckpoint.RemoveStaleTemporaries(checkpoint) is > 0 and var stale)
            ch.Info(MessageSensitivity.None, $"MirrorGan: removed {stale} temporary checkpoint file(s) left by an interrupted write.");
        if (o.Resume && checkpoint is not null && File.Exists(checkpoint))
        {
            start = GlamCheckpoint.Load(checkpoint, state);
            ch.Info(MessageSensitivity.None, $"MirrorGan: resumed from '{checkpoint}' at iteration {start}.");
        }
        state.Iteration = start;

        var captionerNet = captioner?.Network;
        captionerNet?.to(device);
        try
        {
            var stream = captioner?.CreateCaptionLoss(o.StreamIncludesEndToken);
            var step = new GlamStep(state, stream, o.StreamWeight, o.KlWeight, o.EmaWarmup) { LossHook = LossHook };
            var samples = o.SampleFolder is null ? null : new GlamSamples(data, o.SampleCaptions, network, device);
            Train(state, step, data, device, checkpoint, samples, ch);
            return ExportEma(state, data, text, ch);
        }
        finally
        {
            captionerNet?.to(torch.CPU);
            foreach (var d in ds) d.Dispose();
            foreach (var opt in dOpts) opt.Dispose();
            g.Dispose();
        }
    }

    private void Train(GlamTrainingState state, GlamStep step, GlamTrainingData data, Device device, string? checkpoint, GlamSamples? samples, IChannel ch)
    {
        var o = Options;
        int stepsPerEpoch = data.Count / o.BatchSize, start = state.Iteration;
        var clock = Stopwatch.StartNew();
        int[]? order = null;
        int orderEpoch = -1;
        GlamStepLosses? last = null;
        while (state.Iteration < o.Iterations)
        {
            int it = state.Iteration;
            if (o.CancellationToken.IsCancellationRequested)
            {
                if (checkpoint is not null) SaveCheckpoint(checkpoint, state);
                ch.Info(MessageSensitivity.None, $"MirrorGan: cancelled at iteration {it}" + (checkpoint is null ? "." : $"; checkpoint '{checkpoint}'."));
                o.CancellationToken.ThrowIfCancellationRequested();
            }
            int epoch = it / stepsPerEpoch, pos = it % stepsPerEpoch;
            if (epoch != orderEpoch)
            {
                order = EpochOrder(data.Count, epoch);
                orderEpoch = epoch;
            }
            var rows = order!.AsSpan(pos * o.BatchSize, o.BatchSize).ToArray();
            try
            {
                using var gcGuard = TorchGcGuard.Enter(); // TorchSharp's Scalar lifetime race: see TorchGcGuard
                using var scope = torch.NewDisposeScope();
                last = step.Run(data.Batch(rows, device), it);
            }
            catch (NonFiniteLossException e)
            {
                throw NonFiniteLossException.Gan(e.Iteration, e.Term, e.Value, checkpoint is not null && File.Exists(checkpoint) ? checkpoint : null);
            }
            state.Iteration = it + 1;
            bool timeUp = o.MaxTrainingTime is { } limit && clock.Elapsed >= limit;
            bool end = state.Iteration == o.Iterations || timeUp;
            if (state.Iteration % o.ReportEvery == 0 || end) Report(state.Iteration, start, epoch, last, clock.Elapsed, ch);
            if (checkpoint is not null && (end || (o.CheckpointEvery > 0 && state.Iteration % o.CheckpointEvery == 0)))
            {
                if (state.FirstNonFiniteWeight() is { } weight)
                {
                    throw NonFiniteLossException.Gan(it, weight, double.NaN, File.Exists(checkpoint) ? checkpoint : null);
                }
                SaveCheckpoint(checkpoint, state);
            }
            if (samples is not null && (end || (o.SampleEvery > 0 && state.Iteration % o.SampleEvery == 0)))
                samples.Write(state, Path.Combine(o.SampleFolder!, $"samples_{state.Iteration:D6}.png"));
            if (timeUp)
            {
                ch.Info(MessageSensitivity.None, $"MirrorGan: stopped at iteration {state.Iteration} after {clock.Elapsed.TotalSeconds:F0} s (MaxTrainingTime).");
                break;
            }
        }
    }

    /// <summary>
    /// Writes the checkpoint atomically; on an I/O failure (disk full, permissions) throws an <see cref="IOException"/> that says
    /// the previous checkpoint is intact, since the write goes to a temporary file that only replaces it when complete.
    /// </summary>
    private static void SaveCheckpoint(string checkpoint, GlamTrainingState state)
    {
        try
        {
            GlamCheckpoint.Save(checkpoint, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException(
                $"MirrorGanTrainer: writing the checkpoint of iteration {state.Iteration} to '{checkpoint}' failed ({e.Message}); training stopped. " +
                (File.Exists(checkpoint) ? "The previous checkpoint there is intact: " : "No earlier checkpoint exists: ") +
                "free disk space or fix the folder's permissions, then fit again with Resume = true.", e);
        }
    }

    /// <summary>Epoch <paramref name="epoch"/>'s row order: a pure function of (seed, epoch), so a resume needs no RNG state for it.</summary>
    private int[] EpochOrder(int count, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked(Options.Seed * 1_000_003 + epoch)).Shuffle(order);
        return order;
    }

    private void Report(int iteration, int start, int epoch, GlamStepLosses? l, TimeSpan elapsed, IChannel ch)
    {
        if (l is null) return;
        var o = Options;
        double done = iteration - start, rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
        double remainingSeconds = (o.Iterations - iteration) / Math.Max(rate, 1e-9);
        if (o.MaxTrainingTime is { } limit) remainingSeconds = Math.Min(remainingSeconds, Math.Max(0, (limit - elapsed).TotalSeconds));
        var p = new MirrorGanProgress(iteration, o.Iterations, epoch, l.Discriminator, l.Adversarial, l.Stream, l.Kl, l.Generator,
            rate * o.BatchSize, elapsed, TimeSpan.FromSeconds(remainingSeconds));
        ch.Info(MessageSensitivity.None, "MirrorGan: " + p);
        o.Progress?.Report(p);
    }

    /// <summary>
    /// A CPU copy of G with the EMA parameters, wrapped as the transformer. Its BN statistics are the live G's (as the
    /// original) or, with <see cref="MirrorGanTrainerOptions.EmaBatchNormBatches"/>, re-estimated for the EMA weights.
    /// </summary>
    private MirrorGanTransformer ExportEma(GlamTrainingState state, GlamTrainingData data, TextEmbedTransformer text, IChannel ch)
    {
        var g = state.Generator;
        var copy = new MirrorGanGeneratorNet(g.Options);
        using (torch.no_grad())
        {
            var source = g.state_dict();
            foreach (var (name, target) in copy.state_dict()) target.copy_(source[name]);
            var averages = state.Ema.Averages;
            var parameters = copy.parameters().ToList();
            for (int i = 0; i < parameters.Count; i++) parameters[i].copy_(averages[i]);
        }
        if (Options.EmaBatchNormBatches > 0)
        {
            var clock = Stopwatch.StartNew();
            EmaBatchNormRecalibration.Run(copy, data, Options.EmaBatchNormBatches, Options.BatchSize, torch.CPU, Options.Seed);
            ch.Info(MessageSensitivity.None, $"MirrorGan: BatchNorm statistics of the EMA generator re-estimated on {Options.EmaBatchNormBatches} batches in {clock.Elapsed.TotalSeconds:F1} s.");
        }
        copy.eval();
        return new MirrorGanTransformer(_host, copy, text.MaxWords, GeneratorColumns(text.Columns), Options.Seed);
    }

    // The generator reads the feature columns its TextEmbed writes, whatever they are named.
    private MirrorGanColumns GeneratorColumns(TextEmbedColumns text) =>
        Options.Columns with { WordFeaturesColumnName = text.WordFeaturesColumnName, WordCountColumnName = text.WordCountColumnName, SentenceFeatureColumnName = text.SentenceFeatureColumnName };

    // A copy: the caller's options object is never changed. The trainer's columns, seed and device carry over.
    private TextEmbedOptions TextEmbedOptionsToFit()
    {
        var options = (Options.TextEmbedOptions ?? TextEmbedOptions.Tiny()).Clone();
        options.CaptionColumnName = Options.CaptionColumnName;
        options.ImageColumnName = Options.ImageColumnName;
        options.ClassIdColumnName = Options.ClassIdColumnName;
        options.Seed ??= Options.Seed;
        if (options.Device == "auto") options.Device = Options.Device;
        return options;
    }

    private TextEmbedColumns TextColumnsToFit()
    {
        var t = TextEmbedOptionsToFit();
        return new TextEmbedColumns(t.CaptionColumnName, null, t.WordFeaturesColumnName, t.WordCountColumnName, t.SentenceFeatureColumnName, t.ImageFeatureColumnName);
    }

    private StreamCaptionerOptions CaptionerOptionsToFit()
    {
        var options = (Options.StreamCaptionerOptions ?? StreamCaptionerOptions.Tiny()).Clone();
        options.ImageColumnName = Options.ImageColumnName;
        options.CaptionColumnName = Options.CaptionColumnName;
        return options;
    }

    private TextEmbedTransformer FitTextEmbed(IDataView input, IChannel ch)
    {
        ch.Info(MessageSensitivity.None, "MirrorGan: fitting TextEmbed (STEM) first.");
        return new TextEmbedEstimator(_host, TextEmbedOptionsToFit()).Fit(input);
    }

    private StreamCaptionerTransformer FitCaptioner(IDataView input, TextEmbedTransformer text, IChannel ch)
    {
        ch.Info(MessageSensitivity.None, "MirrorGan: fitting the STREAM captioner first (TextEmbed's vocabulary).");
        return new StreamCaptionerEstimator(_host, CaptionerOptionsToFit(), text.Vocabulary).Fit(input);
    }

    /// <summary>
    /// The generation chain: TextEmbed (captions only) → MirrorGan → the captioner re-describing the generated image
    /// (its caption and score columns), so the saved model maps captions to images and re-captions.
    /// </summary>
    private TransformerChain<ITransformer> Chain(TextEmbedTransformer text, MirrorGanTransformer generator, StreamCaptionerTransformer? captioner)
    {
        var parts = new List<ITransformer> { text.WithImageColumn(null), generator };
        if (captioner is { } c)
            parts.Add(new StreamCaptionerTransformer(_host, c.Network, c.Vocabulary, generator.Columns.GeneratedImageColumnName, c.OutputCaptionColumnName, c.OutputScoreColumnName,
                c.ImageSize, c.MaxWords, c.BeamWidth));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }
}
