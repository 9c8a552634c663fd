using Microsoft.ML.MirrorGan.Backbones;
using System.Diagnostics;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.StressTools;

/// <summary>
/// Runtime reliability jobs (docs/reliability.md):
/// <c>soak [steps] [predictions]</c> trains a tiny MirrorGAN for N steps and then makes M single-row predictions
/// through a PredictionEngine over the saved-and-loaded chain, printing resident memory (VmRSS) after warm-up and at
/// the end of each phase; <c>inference-race [seconds] [both|guarded|unguarded]</c> scores one loaded chain from 8 threads while another thread
/// allocates, and counts results that differ from sequential scoring and exceptions (TorchSharp's Scalar lifetime race).
/// </summary>
internal static class RuntimeStress
{
    public sealed class Prompt
    {
        public string Caption { get; set; } = "";
        public int Seed { get; set; }
    }

    public sealed class Output
    {
        public float[] GeneratedPixels { get; set; } = Array.Empty<float>();
        public string GeneratedCaption { get; set; } = "";
    }

    private static readonly string[] Captions =
    {
        "a small red circle on the left on a white background", "a large blue square at the top on a black background",
        "a green triangle", "a small yellow square on the right", "a large purple circle at the bottom", "an orange triangle in the middle",
    };

    /// <summary>Resident set size from /proc/self/status (kB → bytes); the process's WorkingSet64 elsewhere.</summary>
    public static long Rss()
    {
        const string path = "/proc/self/status";
        if (File.Exists(path))
            foreach (var line in File.ReadLines(path))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>Tiny TextEmbed and captioner, and the trainer options for a minimal one-stage GAN (a step takes milliseconds).</summary>
    private static (MLContext Ml, IDataView Train, MirrorGanTrainerOptions Options, TextEmbedTransformer Text, StreamCaptionerTransformer Captioner) Setup(int iterations)
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 64, Seed = 2, CaptionsPerImage = 1 });
        var text = ml.Transforms.TextEmbed(new TextEmbedOptions
        {
            EmbeddingSize = 16, HiddenSize = 8, MaxWords = 12, BatchSize = 16, Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 8 }, ImageSize = 32, Epochs = 1, Seed = 1, Device = "cpu",
        }).Fit(train);
        var cap = StreamCaptionerOptions.Tiny();
        cap.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        cap.ImageSize = 32;
        cap.EmbedSize = 16;
        cap.HiddenSize = 32;
        cap.Epochs = 1;
        cap.BatchSize = 16;
        var captioner = ml.Transforms.StreamCaptioner(cap, text.Vocabulary).Fit(train);
        var options = new MirrorGanTrainerOptions
        {
            Network = new GlamNetworkOptions { Stages = 1, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8, NormalizeSentence = true },
            BatchSize = 4, Iterations = iterations, Device = "cpu", ReportEvery = 1, KlWeight = 0.02, Seed = 3,
            Columns = new MirrorGanColumns { SeedColumnName = "Seed", GeneratedPixelsColumnName = "GeneratedPixels" },
        };
        return (ml, train, options, text, captioner);
    }

    /// <summary>Trains, saves and reloads the chain (as a service would), so scoring runs on loaded weights.</summary>
    private static ITransformer LoadedChain(MLContext ml, IDataView train, MirrorGanTrainerOptions options, TextEmbedTransformer text, StreamCaptionerTransformer captioner, string folder)
    {
        var chain = ml.Transforms.MirrorGan(options, text, captioner).Fit(train);
        string zip = Path.Combine(folder, "model.zip");
        ml.Model.Save(chain, ml.Data.LoadFromEnumerable(new[] { new Prompt() }).Schema, zip);
        return ml.Model.Load(zip, out _);
    }

    public static void Soak(int steps, int predictions, bool guardInference = false, bool enterPerPrediction = false)
    {
        TorchGcGuard.GuardInference = guardInference;
        var folder = Directory.CreateTempSubdirectory("mirrorgan-soak").FullName;
        try
        {
            Console.WriteLine($"soak: {steps} training steps, {predictions} single-row predictions, GuardInference={guardInference}, Enter() per prediction={enterPerPrediction}; load average at start {Load()}");
            var (ml, train, options, text, captioner) = Setup(steps);
            int warmSteps = Math.Max(1, Math.Min(100, steps / 5));
            long trainWarm = 0, trainEnd = 0;
            // RSS swings ±20 MB between samples (GC, allocator), so a two-point growth depends on which samples it
            // picks; the least-squares trend over the samples after the first fifth of the run is the steadier figure.
            var trend = new List<(double Step, double Mb)>();
            var clock = Stopwatch.StartNew();
            options.CheckpointFolder = Path.Combine(folder, "ckpt");
            options.CheckpointEvery = 100;
            options.Progress = new Sync<MirrorGanProgress>(p =>
            {
                if (p.Iteration == warmSteps) trainWarm = Rss();
                if (p.Iteration == steps) trainEnd = Rss();
                if (p.Iteration % 100 == 0)
                {
                    double mb = Rss() / 1048576.0;
                    if (p.Iteration >= steps / 5) trend.Add((p.Iteration, mb));
                    Console.WriteLine($"  step {p.Iteration,6}  RSS {mb,8:F1} MB");
                }
            });
            var chain = LoadedChain(ml, train, options, text, captioner, folder);
            Console.WriteLine($"training: {steps} steps in {clock.Elapsed.TotalSeconds:F0} s; RSS after step {warmSteps}: {trainWarm / 1048576.0:F1} MB, " +
                $"after step {steps}: {trainEnd / 1048576.0:F1} MB, growth {Growth(trainWarm, trainEnd):F1} %; load {Load()}");
            if (trend.Count >= 3)
            {
                double mx = trend.Average(t => t.Step), my = trend.Average(t => t.Mb);
                double slope = trend.Sum(t => (t.Step - mx) * (t.Mb - my)) / trend.Sum(t => (t.Step - mx) * (t.Step - mx));
                Console.WriteLine($"training trend from step {trend[0].Step:F0} ({trend.Count} samples): {slope * 1000:F1} MB per 1,000 steps = " +
                    $"{100 * slope * 1000 / my:F2} % of the mean {my:F1} MB (min {trend.Min(t => t.Mb):F1}, max {trend.Max(t => t.Mb):F1})");
            }

            if (predictions <= 0) return;
            var engine = ml.Model.CreatePredictionEngine<Prompt, Output>(chain);
            int warmPredictions = Math.Max(1, Math.Min(1000, predictions / 10));
            long predictWarm = 0;
            clock.Restart();
            for (int i = 1; i <= predictions; i++)
            {
                var prompt = new Prompt { Caption = Captions[i % Captions.Length], Seed = i };
                Output o;
                if (enterPerPrediction) { using (TorchGcGuard.Enter()) o = engine.Predict(prompt); }
                else o = engine.Predict(prompt);
                if (o.GeneratedPixels.Length == 0) throw new InvalidOperationException("empty prediction");
                if (i == warmPredictions) predictWarm = Rss();
                if (i % 1000 == 0) Console.WriteLine($"  prediction {i,6}  RSS {Rss() / 1048576.0,8:F1} MB");
            }
            long predictEnd = Rss();
            Console.WriteLine($"predictions: {predictions} in {clock.Elapsed.TotalSeconds:F0} s; RSS after {warmPredictions}: {predictWarm / 1048576.0:F1} MB, " +
                $"after {predictions}: {predictEnd / 1048576.0:F1} MB, growth {Growth(predictWarm, predictEnd):F1} %; load {Load()}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Growth(long warm, long end) => 100.0 * (end - warm) / Math.Max(1, warm);

    /// <summary>
    /// Inference-style TorchSharp calls (eval mode, no_grad: a Linear and <c>a + b</c>, which passes a temporary
    /// <c>alpha = 1</c> Scalar) in a tight loop while another thread allocates; with and without the guard.
    /// </summary>
    private static void OpLoop(int steps)
    {
        foreach (bool guarded in new[] { false, true })
        {
            using var linear = TorchSharp.torch.nn.Linear(16, 16);
            linear.eval();
            using var x = TorchSharp.torch.randn(4, 16);
            var noise = new AllocationNoise();
            var clock = Stopwatch.StartNew();
            int i = 0;
            string? error = null;
            try
            {
                for (; i < steps; i++)
                {
                    using var guard = guarded ? TorchGcGuard.Enter() : null;
                    using var scope = TorchSharp.torch.NewDisposeScope();
                    using var noGrad = TorchSharp.torch.no_grad();
                    _ = linear.call(x) + x;
                }
            }
            catch (Exception e)
            {
                error = e.Message.Split('\n')[0];
            }
            finally
            {
                noise.Dispose();
            }
            Console.WriteLine($"inference ops, guard={guarded}: {i} of {steps} forward calls in {clock.Elapsed.TotalSeconds:F1} s" +
                (error is null ? ", no failure" : $", FAILED: {error}"));
        }
    }

    /// <param name="seconds">How long each 8-thread stress runs.</param>
    /// <param name="modes">Which stresses: <c>both</c> (unguarded, then guarded), <c>guarded</c> or <c>unguarded</c>.</param>
    public static void InferenceRace(double seconds, string modes)
    {
        OpLoop(20_000);
        var folder = Directory.CreateTempSubdirectory("mirrorgan-race").FullName;
        try
        {
            var (ml, train, options, text, captioner) = Setup(2);
            var chain = LoadedChain(ml, train, options, text, captioner, folder);
            var prompts = Enumerable.Range(0, 24).Select(i => new Prompt { Caption = Captions[i % Captions.Length], Seed = i }).ToArray();
            var reference = ml.Model.CreatePredictionEngine<Prompt, Output>(chain);
            var expected = prompts.Select(p => reference.Predict(p)).Select(o => (o.GeneratedPixels.ToArray(), o.GeneratedCaption)).ToArray();
            foreach (bool guarded in new[] { false, true })
            {
                TorchGcGuard.GuardInference = guarded;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < 500; i++) reference.Predict(prompts[i % prompts.Length]);
                Console.WriteLine($"sequential single-row predictions, GuardInference={guarded}: {clock.Elapsed.TotalMilliseconds / 500:F2} ms each; load {Load()}");
            }
            var stresses = modes switch { "guarded" => new[] { true }, "unguarded" => new[] { false }, _ => new[] { false, true } };
            foreach (bool guarded in stresses)
            {
                TorchGcGuard.GuardInference = guarded;
                long regions = TorchGcGuard.RegionsStarted;
                Stress(ml, chain, prompts, expected, seconds, guarded);
                Console.WriteLine($"  no-GC regions started: {TorchGcGuard.RegionsStarted - regions}");
            }
            TorchGcGuard.GuardInference = true;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Stress(MLContext ml, ITransformer chain, Prompt[] prompts, (float[] Pixels, string Caption)[] expected, double seconds, bool guarded)
    {
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        long drains = TorchGcGuard.Drains;
        long predictions = 0, mismatches = 0, failures = 0;
        string? firstError = null;
        var noise = new AllocationNoise();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var engine = ml.Model.CreatePredictionEngine<Prompt, Output>(chain);
            for (int i = t; clock.Elapsed.TotalSeconds < seconds; i++)
            {
                try
                {
                    var o = engine.Predict(prompts[i % prompts.Length]);
                    var (pixels, caption) = expected[i % prompts.Length];
                    if (!o.GeneratedPixels.AsSpan().SequenceEqual(pixels) || o.GeneratedCaption != caption) Interlocked.Increment(ref mismatches);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message.Split('\n')[0], null);
                    engine = ml.Model.CreatePredictionEngine<Prompt, Output>(chain);
                }
                Interlocked.Increment(ref predictions);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        noise.Dispose();
        Console.WriteLine($"8 threads + 1 allocating thread, GuardInference={guarded}: {clock.Elapsed.TotalSeconds:F0} s, {predictions} predictions, " +
            $"{mismatches} differ from sequential, {failures} exceptions{(firstError is null ? "" : $" (first: {firstError})")}; " +
            $"GCs gen0/1/2 {GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}, " +
            $"guard drains {TorchGcGuard.Drains - drains}; load {Load()}");
    }

    private sealed class Sync<T> : IProgress<T>
    {
        private readonly Action<T> _action;
        public Sync(Action<T> action) => _action = action;
        public void Report(T value) => _action(value);
    }
}
