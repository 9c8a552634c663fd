using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>
/// docs/performance.md's measurements, one verb each (every one prints the machine's load average with its numbers):
/// <list type="bullet">
/// <item><c>train-split PRESET BATCH [steps] [threads] [warm-up steps]</c>: one GAN training step split into its phases.</item>
/// <item><c>gflops [threads]</c>: achieved GFLOP/s of generation and of the G forward in training vs an sgemm peak of the same process.</item>
/// <item><c>gen-memory PRESET BATCH [threads]</c>: peak resident memory (VmHWM) while generating.</item>
/// <item><c>eval-passes MODEL [prompts] [threads]</c>: the QuickStart evaluation's read of a saved chain, two ways.</item>
/// </list>
/// The networks are the presets' (<see cref="MirrorGanTrainerOptions.Tiny"/>, <see cref="MirrorGanTrainerOptions.Cub"/>)
/// with random weights and random inputs: time per step does not depend on the values.
/// </summary>
internal static class PerfBenchmarks
{
    // ---------------------------------------------------------------------------------------------------------------
    // The preset's networks

    /// <summary>G, the Ds, their Adam optimizers, the frozen text encoder and STREAM loss of a preset.</summary>
    private sealed class Setup
    {
        public Setup(string preset)
        {
            torch.manual_seed(1);
            bool cub = preset == "cub";
            if (!cub && preset != "tiny") throw new ArgumentException($"preset '{preset}': use tiny or cub.");
            Options = cub ? MirrorGanTrainerOptions.Cub() : MirrorGanTrainerOptions.Tiny();
            // Text sizes of TextEmbedOptions.Tiny() / Cub(); CUB's vocabulary has 5,450 words; Shapes' about 40.
            var words = Enumerable.Range(0, cub ? 5450 : 40).Select(i => "w" + i).ToArray();
            Vocabulary = new Vocabulary(new[] { Vocabulary.EndToken, Vocabulary.UnknownToken }.Concat(words).ToArray(), hasUnknownToken: true);
            Text = cub ? new TextEncoder(Vocabulary.Count, 300, 128) : new TextEncoder(Vocabulary.Count, 64, 32);
            Text.eval();
            MaxWords = cub ? 18 : 12;
            Network = Options.Network with { TextDim = Text.FeatureSize };
            Generator = new MirrorGanGeneratorNet(Network);
            Discriminators = Enumerable.Range(0, Network.Stages).Select(i => new GlamDiscriminator(Network.BaseSize << i, Network.DiscriminatorDim, Network.TextDim)).ToArray();
            GeneratorAdam = torch.optim.Adam(Generator.parameters(), Options.GeneratorLearningRate, Options.Beta1, Options.Beta2);
            DiscriminatorAdam = Discriminators.Select(d => torch.optim.Adam(d.parameters(), Options.DiscriminatorLearningRate, Options.Beta1, Options.Beta2)).ToArray();
            // STREAM as the QuickStart (Tiny) and the paper's decoder sizes (Paper) build it.
            var so = cub ? StreamCaptionerOptions.Cub() : StreamCaptionerOptions.Tiny();
            StreamNet = new StreamCaptionNet(so.Backbone.Create(), Vocabulary.Count, so.EmbedSize, so.HiddenSize, so.BatchNormMomentum, so.RegionGrid);
            StreamDescription = $"{so.Backbone}, embed {so.EmbedSize}, LSTM {so.HiddenSize}";
            Stream = new StreamCaptionLoss(StreamNet, Vocabulary);
            Ema = Generator.parameters().Select(p => ((Tensor)p, p.detach().clone())).ToArray();
        }

        public MirrorGanTrainerOptions Options { get; }
        public Vocabulary Vocabulary { get; }
        public TextEncoder Text { get; }
        public int MaxWords { get; }
        public GlamNetworkOptions Network { get; }
        public MirrorGanGeneratorNet Generator { get; }
        public GlamDiscriminator[] Discriminators { get; }
        public TorchSharp.Modules.Adam GeneratorAdam { get; }
        public TorchSharp.Modules.Adam[] DiscriminatorAdam { get; }
        public StreamCaptionNet StreamNet { get; }
        public string StreamDescription { get; }
        public StreamCaptionLoss Stream { get; }
        public (Tensor Live, Tensor Average)[] Ema { get; }

        /// <summary>Random caption ids, length-sorted (longest first) as the trainer's batches.</summary>
        public (Tensor Ids, long[] Lengths) Captions(int batch, Random rng)
        {
            var captions = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, rng.Next(MaxWords / 2, MaxWords + 1)).Select(_ => rng.Next(2, Vocabulary.Count)).ToArray())
                .OrderByDescending(c => c.Length).ToList();
            var (ids, lengths) = CaptionBatch.ToTensors(captions);
            return (ids, lengths.data<long>().ToArray());
        }

        /// <summary>Frozen text features of the caption ids: word features B×D×L, pad mask B×L, sentence B×D.</summary>
        public (Tensor Words, Tensor Mask, Tensor Sentence) Encode(Tensor ids, long[] lengths)
        {
            using var noGrad = torch.no_grad();
            var (w, s) = Text.call(ids, torch.tensor(lengths));
            var positions = torch.arange(ids.shape[1]).unsqueeze(0);
            var mask = positions >= torch.tensor(lengths).unsqueeze(1);
            return (w, mask, s);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // train-split

    private static readonly string[] Phases =
    {
        "text encoder (cached by the trainer)", "G forward", "D forward (losses)", "D backward", "D Adam",
        "G adversarial (D on fakes)", "STREAM loss forward", "G backward (through D and STREAM)", "G Adam", "EMA",
    };

    /// <summary>
    /// Times each phase of GlamStep's order (z; G forward; per stage D loss on real / detached fake / wrong caption,
    /// backward, Adam; G loss = Σ D adversarial + λ·STREAM + w·KL; backward; Adam; EMA) with the preset's networks.
    /// CPU execution is synchronous, so a stopwatch around each phase measures it. Prints medians over the timed steps.
    /// </summary>
    public static void TrainSplit(string preset, int batch, int steps, int warmup)
    {
        Header($"train-split preset {preset}, batch {batch}, {steps} timed steps after {warmup} warm-up step(s)");
        var s = new Setup(preset);
        Console.WriteLine($"network: {s.Network.Stages} stage(s) to {s.Network.FinalSize} px, GF {s.Network.GeneratorDim}, DF {s.Network.DiscriminatorDim}, " +
            $"R {s.Network.ResidualBlocks}, text {s.Network.TextDim}; STREAM {s.StreamDescription}; λ {s.Options.StreamWeight}");
        var rng = new Random(3);
        var times = Phases.ToDictionary(p => p, _ => new List<double>());
        var cpuTimes = Phases.ToDictionary(p => p, _ => new List<double>());
        var totals = new List<double>();
        var cpuTotals = new List<double>();
        var lambda = s.Options.StreamWeight.ToScalar();
        var klWeight = s.Options.KlWeight.ToScalar();
        var decay = (1 - s.Options.EmaDecay).ToScalar();
        for (int step = 0; step < steps + warmup; step++)
        {
            using var guard = TorchGcGuard.Enter();
            using var scope = torch.NewDisposeScope();
            var watch = new Dictionary<string, double>();
            var cpuWatch = new Dictionary<string, double>();
            var clock = Stopwatch.StartNew();
            double cpu0 = CpuSeconds();
            void Lap(string phase)
            {
                double cpu = CpuSeconds();
                watch[phase] = watch.GetValueOrDefault(phase) + clock.Elapsed.TotalMilliseconds;
                cpuWatch[phase] = cpuWatch.GetValueOrDefault(phase) + (cpu - cpu0) * 1000;
                clock.Restart();
                cpu0 = cpu;
            }

            var (ids, lengths) = s.Captions(batch, rng);
            var real = torch.rand(batch, 3, s.Network.FinalSize, s.Network.FinalSize) * 2 - 1;
            clock.Restart();
            cpu0 = CpuSeconds();
            var (words, mask, sentence) = s.Encode(ids, lengths);
            Lap(Phases[0]);

            var g = s.Generator;
            g.train();
            foreach (var d in s.Discriminators) d.train();
            var z = torch.randn(batch, s.Network.ZDim);
            var gen = g.call(z, sentence, words, mask);
            var dSentence = g.PrepareSentence(sentence);
            Lap(Phases[1]);

            var fakes = gen.Output.Images;
            for (int i = 0; i < fakes.Count; i++)
            {
                long factor = real.shape[2] / fakes[i].shape[2];
                var realI = factor == 1 ? real : nn.functional.avg_pool2d(real, new long[] { factor, factor });
                var dLoss = GlamLosses.Discriminator(s.Discriminators[i], realI, fakes[i].detach(), dSentence);
                _ = dLoss.item<float>();
                Lap(Phases[2]);
                s.DiscriminatorAdam[i].zero_grad();
                dLoss.backward();
                Lap(Phases[3]);
                s.DiscriminatorAdam[i].step();
                Lap(Phases[4]);
            }

            Tensor adversarial = GlamLosses.GeneratorAdversarial(s.Discriminators[0], fakes[0], dSentence);
            for (int i = 1; i < fakes.Count; i++) adversarial = adversarial + GlamLosses.GeneratorAdversarial(s.Discriminators[i], fakes[i], dSentence);
            var kl = ConditioningAugmentation.KlLoss(gen.Mu, gen.LogVar);
            var total = adversarial + kl.mul(klWeight);
            _ = adversarial.item<float>();
            Lap(Phases[5]);
            var stream = s.Stream.Compute(fakes[^1], ids, lengths);
            total = total + stream.mul(lambda);
            _ = stream.item<float>();
            Lap(Phases[6]);
            s.GeneratorAdam.zero_grad();
            total.backward();
            Lap(Phases[7]);
            s.GeneratorAdam.step();
            Lap(Phases[8]);
            using (torch.no_grad())
                foreach (var (live, avg) in s.Ema) avg.add_(live - avg, alpha: decay);
            Lap(Phases[9]);

            if (step < warmup) continue;
            foreach (var p in Phases)
            {
                times[p].Add(watch.GetValueOrDefault(p));
                cpuTimes[p].Add(cpuWatch.GetValueOrDefault(p));
            }
            totals.Add(Phases.Skip(1).Sum(p => watch.GetValueOrDefault(p)));
            cpuTotals.Add(Phases.Skip(1).Sum(p => cpuWatch.GetValueOrDefault(p)));
        }
        double step1 = Median(totals), cpuStep = Median(cpuTotals);
        Console.WriteLine($"| phase | median wall ms | median CPU ms | share of step (CPU) |");
        Console.WriteLine($"|---|---:|---:|---:|");
        foreach (var p in Phases)
        {
            double m = Median(times[p]), c = Median(cpuTimes[p]);
            Console.WriteLine(p == Phases[0] ? $"| {p} | {m:F1} | {c:F1} | (not in step) |" : $"| {p} | {m:F1} | {c:F1} | {100 * c / cpuStep:F0} % |");
        }
        Console.WriteLine($"| **step (without text encoder)** | **{step1:F1}** | **{cpuStep:F1}** | {batch / (step1 / 1000):F2} images/s wall, {batch / (cpuStep / 1000):F2} per CPU-second |");
        Footer();
    }


    // ---------------------------------------------------------------------------------------------------------------
    // gflops

    /// <summary>
    /// sgemm peak (torch.mm of 2048² and 4096² float32 matrices, best of 5) and the achieved rate of CUB generation at
    /// batch 8 (eval, no autograd) and of the training G forward at batch 12, both from the FLOPs of every Conv2d and
    /// Linear the pass ran (2·MACs, counted by forward hooks from the output sizes and the weight shapes).
    /// Attention products, BatchNorm, GLU and upsampling are not counted (they are memory-bound and small in FLOPs).
    /// </summary>
    public static void Gflops()
    {
        Header("gflops: sgemm peak vs CUB generation (batch 8) and G forward in training (batch 12)");
        foreach (int n in new[] { 1024, 2048, 4096 })
        {
            using var scope = torch.NewDisposeScope();
            var a = torch.randn(n, n);
            var b = torch.randn(n, n);
            _ = torch.mm(a, b);
            double best = double.MaxValue, bestCpu = double.MaxValue;
            for (int i = 0; i < 5; i++)
            {
                var c = Stopwatch.StartNew();
                double cpu = CpuSeconds();
                using var r = torch.mm(a, b);
                bestCpu = Math.Min(bestCpu, CpuSeconds() - cpu);
                best = Math.Min(best, c.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"sgemm {n}×{n}: {2.0 * n * n * n / best / 1e9:F1} GFLOP/s wall, {2.0 * n * n * n / bestCpu / 1e9:F1} GFLOP/s per CPU-second (best of 5)");
        }
        var s = new Setup("cub");
        double flops = 0, upFlops = 0;
        foreach (var (name, m) in s.Generator.named_modules())
        {
            bool up = name.Contains("upsample", StringComparison.Ordinal);
            if (m is TorchSharp.Modules.Conv2d conv)
                conv.register_forward_hook((_, _, y) =>
                {
                    double f = 2.0 * y.numel() * (conv.weight!.numel() / conv.weight.shape[0]);
                    flops += f;
                    if (up) upFlops += f;
                    return y;
                });
            else if (m is TorchSharp.Modules.Linear lin)
                lin.register_forward_hook((_, _, y) => { flops += 2.0 * y.numel() * lin.weight!.shape[1]; return y; });
        }
        var rng = new Random(5);
        var modelFlops = new Dictionary<int, (double All, double UpBlocks)>();
        foreach (var (batch, train) in new[] { (1, false), (8, false), (12, true) })
        {
            var samples = new List<double>();
            var cpuSamples = new List<double>();
            double flopsPerPass = 0;
            for (int i = 0; i < 4; i++)
            {
                using var guard = TorchGcGuard.Enter();
                using var scope = torch.NewDisposeScope();
                var (ids, lengths) = s.Captions(batch, rng);
                var (words, mask, sentence) = s.Encode(ids, lengths);
                flops = 0;
                upFlops = 0;
                var c = Stopwatch.StartNew();
                double cpu = CpuSeconds();
                if (train)
                {
                    s.Generator.train();
                    _ = s.Generator.call(torch.randn(batch, s.Network.ZDim), sentence, words, mask).Output.Images[^1].sum().item<float>();
                }
                else
                {
                    s.Generator.eval();
                    using var noGrad = torch.no_grad();
                    _ = s.Generator.Generate(torch.randn(batch, s.Network.ZDim), torch.randn(batch, s.Network.ConditionDim), sentence, words, mask).Output.Images[^1].sum().item<float>();
                }
                if (i > 0)
                {
                    samples.Add(c.Elapsed.TotalSeconds);
                    cpuSamples.Add(CpuSeconds() - cpu);
                }
                flopsPerPass = flops;
            }
            double t = Median(samples), tc = Median(cpuSamples);
            Console.WriteLine($"CUB {(train ? "G forward (train mode, autograd)" : "generation (eval, no_grad)")}, batch {batch}: {flopsPerPass / 1e9:F1} GFLOP (conv+linear); " +
                $"median of 3: {t * 1000:F0} ms wall = {flopsPerPass / t / 1e9:F1} GFLOP/s, {batch / t:F2} images/s; {tc * 1000:F0} CPU ms = {flopsPerPass / tc / 1e9:F1} GFLOP/s per CPU-second");
            if (!train) modelFlops[batch] = (flopsPerPass, upFlops);
        }
        OnnxGflops(s, modelFlops);
        Footer();
    }

    /// <summary>
    /// The same CUB generation (CA + generator, same weights) exported and run by ONNX Runtime with the process's torch
    /// thread count, timed like TorchSharp's rows. The rate is the model's FLOPs (TorchSharp's count above) per second, so
    /// the exported graph's cheaper up-blocks (sub-pixel phases) show as a higher effective rate, as any algorithmic
    /// saving does; the up-blocks' share of the model's FLOPs is printed with it.
    /// </summary>
    private static void OnnxGflops(Setup s, Dictionary<int, (double All, double UpBlocks)> modelFlops)
    {
        var net = s.Generator;
        net.eval();
        using var so = new Microsoft.ML.MirrorGan.Onnx.OnnxSessionOptions { IntraOpThreads = torch.get_num_threads() }.CreateCpuSessionOptions();
        var bytes = Microsoft.ML.MirrorGan.Onnx.GlamOnnxExporter.Export(net.ConditioningAugmentation, net.Cascade, normalizeSentence: net.NormalizeSentence);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(bytes, so);
        var o = s.Network;
        var rng = new Random(6);
        foreach (int batch in new[] { 1, 8 })
        {
            var inputs = GeneratorOnnxInputs.Random(o, batch, s.MaxWords, rng);
            var samples = new List<double>();
            for (int i = 0; i < 4; i++)
            {
                var c = Stopwatch.StartNew();
                using (session.Run(inputs)) { }
                if (i > 0) samples.Add(c.Elapsed.TotalSeconds);
            }
            double t = Median(samples);
            var (flops, up) = modelFlops[batch];
            // The sub-pixel up-blocks run 16 of every 36 multiply-adds of the 3×3 convolutions on the upsampled image.
            double executed = Environment.GetEnvironmentVariable("MIRRORGAN_ONNX_UPSAMPLE") is { } mode && !mode.Equals("subpixel2x2", StringComparison.OrdinalIgnoreCase)
                ? flops : flops - up * 20.0 / 36.0;
            Console.WriteLine($"CUB generation in ONNX Runtime (exported CA + generator, {torch.get_num_threads()} intra-op thread(s)), batch {batch}: " +
                $"median of 3: {t * 1000:F0} ms wall = {flops / t / 1e9:F1} GFLOP/s of the model's {flops / 1e9:F1} GFLOP (up-blocks {up / flops:P0} of it), " +
                $"{executed / t / 1e9:F1} GFLOP/s of the {executed / 1e9:F1} GFLOP the exported graph executes; {batch / t:F2} images/s");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // gen-memory

    /// <summary>
    /// Peak resident memory of generation: VmHWM is reset (writing 5 to /proc/self/clear_refs) after the networks are
    /// built and one warm-up batch ran, then read after 3 more batches; VmRSS before, for the baseline.
    /// </summary>
    public static void GenerationMemory(string preset, int batch)
    {
        Header($"gen-memory preset {preset}, batch {batch}");
        var s = new Setup(preset);
        var rng = new Random(7);
        void Generate()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var (ids, lengths) = s.Captions(batch, rng);
            var (words, mask, sentence) = s.Encode(ids, lengths);
            s.Generator.eval();
            var images = s.Generator.Generate(torch.randn(batch, s.Network.ZDim), torch.randn(batch, s.Network.ConditionDim), sentence, words, mask).Output.Images;
            _ = images[^1].data<float>().ToArray(); // the host copy a transformer makes
        }
        Generate();
        GC.Collect();
        long before = StatusKb("VmRSS");
        bool reset = ResetPeak();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3; i++) Generate();
        double seconds = clock.Elapsed.TotalSeconds / 3;
        long peak = StatusKb("VmHWM");
        Console.WriteLine($"RSS before {before / 1024.0:F0} MB; peak while generating {peak / 1024.0:F0} MB" +
            (reset ? "" : " (VmHWM could not be reset: peak of the whole process)") +
            $"; +{(peak - before) / 1024.0:F0} MB per batch of {batch}; {seconds * 1000:F0} ms per batch, {batch / seconds:F2} images/s");
        Footer();
    }

    /// <summary>A field of /proc/self/status in kB (0 where there is no procfs).</summary>
    internal static long StatusKb(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return 0;
    }

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs).</summary>
    internal static bool ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // eval-passes

    /// <summary>A prompt row of the QuickStart's chain (input columns Caption, Seed).</summary>
    private sealed class PromptRow
    {
        public string Caption { get; set; } = "";
        public int Seed { get; set; }
    }

    /// <summary>
    /// The QuickStart evaluation's read of a saved chain (TextEmbed → MirrorGan → StreamCaptioner) for N Shapes
    /// captions: two GetColumn calls (images, then captions: the second cursor regenerates every image) against one
    /// cursor over both columns. Alternates the two 3 times in one process; prints wall and CPU medians.
    /// </summary>
    public static void EvaluationPasses(string model, int count)
    {
        Header($"eval-passes {model}, {count} prompts");
        var ml = new MLContext(seed: 1);
        var chain = ml.Model.Load(model, out _);
        var shapes = new Microsoft.ML.MirrorGan.Data.ShapesDataset(new Microsoft.ML.MirrorGan.Data.ShapesOptions { Count = count, StartIndex = 100_000, Seed = 1 });
        var rows = shapes.Scenes.Select(x => new PromptRow { Caption = shapes.CanonicalCaption(x), Seed = 1 }).ToList();
        IDataView Output() => chain.Transform(ml.Data.LoadFromEnumerable(rows));
        var results = new Dictionary<string, (List<double> Wall, List<double> Cpu)> { ["two GetColumn calls"] = (new(), new()), ["one cursor"] = (new(), new()) };
        string? firstCaption = null;
        for (int round = 0; round < 3; round++)
            foreach (var name in results.Keys.ToArray())
            {
                var clock = Stopwatch.StartNew();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                string[] captions;
                if (name == "one cursor")
                {
                    var output = Output();
                    var image = output.Schema["GeneratedImage"];
                    var caption = output.Schema["GeneratedCaption"];
                    var list = new List<string>();
                    using var cursor = output.GetRowCursor(new[] { image, caption });
                    var getImage = cursor.GetGetter<MLImage>(image);
                    var getCaption = cursor.GetGetter<ReadOnlyMemory<char>>(caption);
                    while (cursor.MoveNext())
                    {
                        MLImage picture = null!;
                        ReadOnlyMemory<char> text = default;
                        getImage(ref picture);
                        getCaption(ref text);
                        list.Add(text.ToString());
                        picture.Dispose();
                    }
                    captions = list.ToArray();
                }
                else
                {
                    var output = Output();
                    foreach (var picture in output.GetColumn<MLImage>("GeneratedImage")) picture.Dispose();
                    captions = output.GetColumn<string>("GeneratedCaption").ToArray();
                }
                results[name].Wall.Add(clock.Elapsed.TotalSeconds);
                results[name].Cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
                firstCaption ??= captions[0];
                if (captions[0] != firstCaption) throw new InvalidOperationException("The two reads gave different captions.");
                Console.WriteLine($"  round {round} {name}: {clock.Elapsed.TotalSeconds:F1} s wall; load {LoadAverage()}");
            }
        foreach (var (name, (wall, cpu)) in results)
            Console.WriteLine($"{name}: median {Median(wall):F1} s wall, {Median(cpu):F1} CPU s for {count} prompts (3 runs)");
        Footer();
    }

    // ---------------------------------------------------------------------------------------------------------------

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec value);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>
    /// CPU seconds: of the calling thread with one torch thread (torch then computes on the caller), of the whole
    /// process otherwise. On a machine shared with other jobs this is far less inflated than wall time: waiting for a
    /// core does not count. NaN where clock_gettime is missing.
    /// </summary>
    internal static double CpuSeconds()
    {
        const int process = 2, thread = 3;
        try
        {
            return ClockGetTime(torch.get_num_threads() == 1 ? thread : process, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return double.NaN;
        }
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static void Header(string what) =>
        Console.WriteLine($"== {what}; torch threads {torch.get_num_threads()}; {Environment.ProcessorCount} CPUs; load average {LoadAverage()} at start; {DateTime.UtcNow:u}");

    private static void Footer() => Console.WriteLine($"load average {LoadAverage()} at end");
}
