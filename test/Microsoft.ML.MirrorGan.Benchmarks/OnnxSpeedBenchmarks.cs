using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>
/// Caption → image generation (text encoder + CA + generator, same weights, same process): TorchSharp versus the
/// exported graphs in ONNX Runtime, CPU, at batch 1 and 8, for a tiny preset and the CUB preset (AttnGAN birds sizes:
/// 3 stages to 256 px, GF 32, 2 residual blocks, text 256). Both back ends get the same intra-op thread count.
/// </summary>
[Config(typeof(Config))]
public class OnnxSpeedBenchmarks
{
    /// <summary>Threads for both back ends (set by the command line before BenchmarkDotNet runs; in-process toolchain).</summary>
    public static int Threads { get; set; } = 1;

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In-process: the solution's native-fix and publicizer targets need not run in a generated project; few
            // iterations because one CUB batch of 8 takes seconds on this CPU.
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithWarmupCount(1).WithIterationCount(5).WithLaunchCount(1).WithInvocationCount(1).WithUnrollFactor(1));
            Options |= ConfigOptions.DisableOptimizationsValidator;
        }
    }

    /// <summary>tiny or cub.</summary>
    [Params("tiny", "cub")]
    public string Preset { get; set; } = "tiny";

    /// <summary>Captions per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    private TextEncoder _text = null!;
    private ConditioningAugmentation _ca = null!;
    private GlamGenerator _generator = null!;
    private MirrorGanOnnxTextToImage _onnx = null!;
    private string _folder = "";
    private int[][] _ids = Array.Empty<int[]>();
    private string[] _captions = Array.Empty<string>();

    /// <summary>Builds seeded networks of the preset and exports them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        torch.manual_seed(1);
        bool cub = Preset == "cub";
        var words = Enumerable.Range(0, cub ? 5450 : 200).Select(i => "w" + i).ToArray();
        var vocabulary = new Vocabulary(new[] { Vocabulary.EndToken, Vocabulary.UnknownToken }.Concat(words).ToArray(), hasUnknownToken: true);
        _text = cub ? new TextEncoder(vocabulary.Count, 300, 128) : new TextEncoder(vocabulary.Count, 64, 32);
        var options = cub
            ? new GlamNetworkOptions()
            : new GlamNetworkOptions { Stages = 2, GeneratorDim = 16, ResidualBlocks = 1, ZDim = 32, ConditionDim = 32, TextDim = _text.FeatureSize };
        _ca = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        _generator = new GlamGenerator(options);
        _text.eval();
        _ca.eval();
        _generator.eval();
        var textEmbed = new TextEmbedTransformer(new MLContext(1), vocabulary, _text, new DamsmImageEncoder(new SmallCnnBackbone(32, 4), _text.FeatureSize),
            new TextEmbedColumns(), maxWords: cub ? 18 : 12, imageSize: 32);
        _folder = Path.Combine(Path.GetTempPath(), "mirrorgan-onnx-bench-" + Preset);
        new MirrorGanOnnxPackage().WithTextEmbed(textEmbed).WithGenerator(_ca, _generator).Save(_folder);
        _onnx = MirrorGanOnnxTextToImage.Open(_folder, new OnnxSessionOptions { IntraOpThreads = Threads });
        var rng = new Random(2);
        _captions = Enumerable.Range(0, Batch).Select(i => string.Join(' ', Enumerable.Range(0, 6 + i % 8).Select(_ => words[rng.Next(words.Length)]))).ToArray();
        _ids = _captions.Select(_onnx.Tokenize).ToArray();
    }

    /// <summary>TorchSharp: text encoder → CA → generator, no gradients.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, lengths) = CaptionBatch.ToTensors(_ids);
        var (words, sentence) = _text.call(ids, lengths);
        long t = words.shape[2];
        var mask = arange(t).unsqueeze(0) >= lengths.unsqueeze(1);
        var (code, _, _) = _ca.call(sentence);
        var output = _generator.call(randn(Batch, _generator.Options.ZDim), code, words, mask);
        return output.Images[^1][0, 0, 0, 0].item<float>();
    }

    /// <summary>ONNX Runtime: the exported text encoder and CA + generator graphs.</summary>
    [Benchmark]
    public float OnnxRuntime() => _onnx.Generate(_ids, new int[_ids.Length])[0][0];

    /// <summary>Frees the session and the export.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _onnx.Dispose();
        _generator.Dispose();
        _ca.Dispose();
        _text.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Runs the benchmark and prints images/s and the ONNX Runtime / TorchSharp ratio per preset and batch.</summary>
    public static void Run(int threads)
    {
        Threads = threads;
        Summary summary = BenchmarkRunner.Run<OnnxSpeedBenchmarks>();
        Console.WriteLine($"\nimages/s (CPU, {threads} intra-op thread(s) each; machine load at start: {File.ReadAllText("/proc/loadavg").Trim()})");
        Console.WriteLine("| preset | batch | TorchSharp img/s | ONNX Runtime img/s | ratio |");
        Console.WriteLine("|---|---|---|---|---|");
        var rows = summary.Reports.Where(r => r.ResultStatistics is not null)
            .GroupBy(r => (Preset: (string)r.BenchmarkCase.Parameters["Preset"], Batch: (int)r.BenchmarkCase.Parameters["Batch"]));
        foreach (var g in rows)
        {
            double Rate(string method) =>
                g.Key.Batch / (g.First(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method).ResultStatistics!.Median / 1e9);
            double torchRate = Rate(nameof(TorchSharp)), onnxRate = Rate(nameof(OnnxRuntime));
            Console.WriteLine($"| {g.Key.Preset} | {g.Key.Batch} | {torchRate:F2} | {onnxRate:F2} | {onnxRate / torchRate:F2}× |");
        }
    }
}
