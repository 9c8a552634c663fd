using Microsoft.ML.MirrorGan.Backbones;
using System.Diagnostics;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>
/// GLAM memory check: trains a tiny MirrorGAN for N steps through the public trainer and prints the process's resident
/// memory every 50 steps. Every step runs in a dispose scope, so RSS must be flat after warm-up.
/// </summary>
internal static class GlamBenchmarks
{
    public static void Memory(int steps, bool tinyPreset)
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 400, Seed = 2, CaptionsPerImage = 1 });
        var text = ml.Transforms.TextEmbed(new TextEmbedOptions
        {
            EmbeddingSize = 32, HiddenSize = 16, MaxWords = 12, BatchSize = 32, Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 8 }, ImageSize = 32, Epochs = 1, Seed = 1, Device = "cpu",
        }).Fit(train);
        var cap = StreamCaptionerOptions.Tiny();
        cap.Epochs = 1;
        var captioner = ml.Transforms.StreamCaptioner(cap, text.Vocabulary).Fit(train);
        var options = tinyPreset ? MirrorGanTrainerOptions.Tiny() : new MirrorGanTrainerOptions
        {
            Network = new GlamNetworkOptions { Stages = 1, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8 },
            BatchSize = 8,
        };
        options.Iterations = steps;
        options.Device = "cpu";
        options.ReportEvery = 50;
        options.CheckpointFolder = null;
        options.SampleFolder = null;
        var process = Process.GetCurrentProcess();
        var rss = new List<(int Step, long Bytes)>();
        var clock = Stopwatch.StartNew();
        options.Progress = new Sync<MirrorGanProgress>(p =>
        {
            process.Refresh();
            rss.Add((p.Iteration, process.WorkingSet64));
            Console.WriteLine($"step {p.Iteration,5}  RSS {process.WorkingSet64 / 1048576.0,8:F1} MB  {p.ImagesPerSecond / options.BatchSize:F2} steps/s  load {Load()}");
        });
        ml.Transforms.MirrorGan(options, text, captioner).Fit(train);
        var warm = rss.First(r => r.Step >= Math.Min(100, steps));
        // RSS oscillates by tens of MB (GC and allocator): the least-squares slope after warm-up is the trend.
        var after = rss.Where(r => r.Step >= warm.Step).ToArray();
        double mx = after.Average(r => (double)r.Step), my = after.Average(r => (double)r.Bytes);
        double den = after.Sum(r => (r.Step - mx) * (r.Step - mx));
        double slope = den == 0 ? 0 : after.Sum(r => (r.Step - mx) * (r.Bytes - my)) / den;
        Console.WriteLine($"RSS after warm-up: min {after.Min(r => r.Bytes) / 1048576.0:F1} MB, max {after.Max(r => r.Bytes) / 1048576.0:F1} MB, " +
            $"trend {slope * 1000 / 1048576.0:F1} MB ({100 * slope * 1000 / my:F2} %) per 1,000 steps");
        var last = rss[^1];
        Console.WriteLine($"{(tinyPreset ? "Tiny preset" : "minimal net")}, batch {options.BatchSize}: {steps} steps in {clock.Elapsed.TotalSeconds:F0} s; " +
            $"RSS after step {warm.Step}: {warm.Bytes / 1048576.0:F1} MB, after step {last.Step}: {last.Bytes / 1048576.0:F1} MB " +
            $"(growth {(last.Bytes - warm.Bytes) / 1048576.0:F1} MB over {last.Step - warm.Step} steps, " +
            $"{100.0 * (last.Bytes - warm.Bytes) / warm.Bytes * 1000 / Math.Max(1, last.Step - warm.Step):F2} % per 1,000 steps); " +
            $"peak RSS (VmHWM) {PerfBenchmarks.StatusKb("VmHWM") / 1024.0:F1} MB; load average {PerfBenchmarks.LoadAverage()}");
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private sealed class Sync<T> : IProgress<T>
    {
        private readonly Action<T> _action;
        public Sync(Action<T> action) => _action = action;
        public void Report(T value) => _action(value);
    }
}
