using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Captioning;
using Microsoft.ML.MirrorGan.Stem;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Trains MirrorGAN's generator (GLAM) and discriminators on (caption, image) rows with a frozen <c>TextEmbed</c> (STEM)
/// and a frozen STREAM captioner, and returns a <see cref="MirrorGanTransformer"/> holding the EMA weights. Either
/// network can be given fitted, or is fitted first on the same rows. See <see cref="MirrorGanTrainerOptions"/>.
/// </summary>
/// <remarks>Thread-safety: not thread-safe; call <c>Fit</c> from one thread at a time. Fitting seeds torch's process-wide
/// random generator, so two fits running at once (even on different instances) are not reproducible. The returned
/// transformer is safe to share for scoring.</remarks>
public sealed class MirrorGanTrainer : IEstimator<MirrorGanTransformer>
{
    private readonly IHost _host;

    /// <summary>Creates the trainer (prefer <c>mlContext.Transforms.MirrorGan(options)</c>).</summary>
    public MirrorGanTrainer(IHostEnvironment env, MirrorGanTrainerOptions options)
    {
        if (env is null) throw new ArgumentNullException(nameof(env));
        _host = env.Register(nameof(MirrorGanTrainer));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public MirrorGanTrainerOptions Options { get; }

    /// <summary>The TextEmbed used by the last <see cref="Fit"/> (given or fitted there).</summary>
    public TextEmbedTransformer? TextEmbed { get; private set; }

    /// <summary>The STREAM captioner used by the last <see cref="Fit"/> (given or fitted there; null when λ = 0 and none was given).</summary>
    public StreamCaptionerTransformer? StreamCaptioner { get; private set; }

    /// <summary>Iterations completed by the last <see cref="Fit"/> (including those before a resume).</summary>
    public int CompletedIterations { get; private set; }

    /// <summary>Test hook passed to each step.</summary>
    internal Func<string, Tensor, Tensor>? LossHook { get; set; }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var cols = Options.Columns;
        foreach (var name in new[] { cols.WordFeatures, cols.SentenceFeature })
            if (!inputSchema.Any(c => c.Name == name))
                throw new ArgumentOutOfRangeException(nameof(inputSchema),
                    $"MirrorGan: input column '{name}' was not found. The generator reads TextEmbed's output: put the TextEmbed transformer before it.");
        var added = new List<SchemaShape.Column> { SchemaShapes.Scalar(cols.Image, new Microsoft.ML.Transforms.Image.ImageDataViewType()) };
        if (cols.Pixels is not null) added.Add(SchemaShapes.Vector(cols.Pixels, NumberDataViewType.Single));
        return SchemaShapes.With(inputSchema, added.ToArray());
    }

    /// <summary>
    /// Fits what is missing (TextEmbed, captioner), then trains the GAN. Throws <see cref="OperationCanceledException"/> on
    /// cancellation (after writing a checkpoint) and <see cref="NonFiniteLossException"/> on a non-finite loss.
    /// </summary>
    public MirrorGanTransformer Fit(IDataView input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        TorchRuntime.EnsureLoaded();
        var o = Options;
        using var ch = _host.Start("MirrorGan");
        var text = o.TextEmbed ?? FitTextEmbed(input, ch);
        var captioner = o.StreamCaptioner ?? (o.StreamWeight > 0 ? FitCaptioner(input, text, ch) : null);
        captioner?.EnsureCompatibleWith(text.Vocabulary);
        TextEmbed = text;
        StreamCaptioner = captioner;

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

        var g = new MirrorGanGeneratorNet(network, o.NormalizeSentence, o.StandardizeSentence);
        if (o.StandardizeSentence) g.SetSentenceStatistics(data.Sentences);
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
            return ExportEma(state, data, text.MaxWords, ch);
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
                CompletedIterations = it;
                throw NonFiniteLossException.Gan(e.Iteration, e.Term, e.Value, checkpoint is not null && File.Exists(checkpoint) ? checkpoint : null);
            }
            state.Iteration = it + 1;
            CompletedIterations = state.Iteration;
            bool timeUp = o.MaxTrainingTime is { } limit && clock.Elapsed >= limit;
            bool end = state.Iteration == o.Iterations || timeUp;
            if (state.Iteration % o.ReportEvery == 0 || end) Report(state.Iteration, start, epoch, last, clock.Elapsed, ch);
            if (checkpoint is not null && (end || (o.CheckpointEvery > 0 && state.Iteration % o.CheckpointEvery == 0)))
            {
                if (state.FirstNonFiniteWeight() is { } weight)
                {
                    CompletedIterations = it;
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
    private MirrorGanTransformer ExportEma(GlamTrainingState state, GlamTrainingData data, int maxWords, IChannel ch)
    {
        var g = state.Generator;
        var copy = new MirrorGanGeneratorNet(g.Options, g.NormalizeSentence, g.StandardizeSentence);
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
        return new MirrorGanTransformer(_host, copy, maxWords, Options.Columns, Options.Seed);
    }

    private TextEmbedTransformer FitTextEmbed(IDataView input, IChannel ch)
    {
        var options = Options.TextEmbedOptions ?? TextEmbedOptions.Tiny();
        options.CaptionColumnName = Options.CaptionColumnName;
        options.ImageColumnName = Options.ImageColumnName;
        options.ClassIdColumnName = Options.ClassIdColumnName;
        options.Seed ??= Options.Seed;
        if (options.Device == "auto") options.Device = Options.Device;
        ch.Info(MessageSensitivity.None, "MirrorGan: fitting TextEmbed (STEM) first.");
        return new TextEmbedEstimator(_host, options).Fit(input);
    }

    private StreamCaptionerTransformer FitCaptioner(IDataView input, TextEmbedTransformer text, IChannel ch)
    {
        var options = Options.StreamCaptionerOptions ?? StreamCaptionerOptions.Tiny();
        options.Vocabulary = text.Vocabulary;
        options.ImageColumnName = Options.ImageColumnName;
        options.CaptionColumnName = Options.CaptionColumnName;
        ch.Info(MessageSensitivity.None, "MirrorGan: fitting the STREAM captioner first (TextEmbed's vocabulary).");
        return new StreamCaptionerEstimator(_host, options).Fit(input);
    }

    /// <summary>
    /// The generation chain for captions: TextEmbed → MirrorGan → the captioner re-describing the generated image
    /// (column <c>GeneratedCaption</c>). Call after <see cref="Fit"/>.
    /// </summary>
    public TransformerChain<ITransformer> Chain(MirrorGanTransformer generator)
    {
        if (generator is null) throw new ArgumentNullException(nameof(generator));
        var text = TextEmbed ?? throw new InvalidOperationException("Call Fit first: the chain needs the TextEmbed it used.");
        var parts = new List<ITransformer> { text.WithImageColumn(null), generator };
        if (StreamCaptioner is { } c)
            parts.Add(new StreamCaptionerTransformer(_host, c.Network, c.Vocabulary, generator.Columns.Image, c.OutputCaptionColumnName, c.OutputScoreColumnName,
                c.ImageSize, c.MaxWords, c.BeamWidth));
        var chain = new TransformerChain<ITransformer>(parts.ToArray());
        return chain;
    }
}
