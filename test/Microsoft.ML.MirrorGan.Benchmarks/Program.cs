// Usage: dotnet run --project test/Microsoft.ML.MirrorGan.Benchmarks -c Release -- <command> [args]
//   stem-shapes|stem-fashion [minutes] [threads]   STEM pretraining report
//   onnx-speed [ignored] [threads]                 TorchSharp vs ONNX Runtime generation (BenchmarkDotNet)
//   fashion-classifier [minutes]                   built-in Fashion-MNIST classifier for IS / class accuracy
//   glam-memory [steps] [threads] [tiny]           RSS every 50 GAN steps; "tiny" uses the Tiny preset's network
//   train-split tiny|cub BATCH [steps] [threads] [warm-up]  one GAN step split into phases (docs/performance.md)
//   gflops [threads]                               sgemm peak vs achieved GFLOP/s of CUB generation / G forward
//   gen-memory tiny|cub BATCH [threads]            peak RSS (VmHWM) while generating
//   eval-passes MODEL.zip [prompts] [threads]      the held-out evaluation's read: two GetColumn calls vs one cursor
//   onnx-profile [tiny|cub] [batch] [threads] [runs] [spin|nospin]   ONNX Runtime profiler: generator time per operator
// The numbers behind docs/performance.md (speed and memory) and the STEM / classifier reports. Fuzzing, race
// reproductions and soaks are in test/Microsoft.ML.MirrorGan.StressTools.
// Not a test: numbers depend on the machine and its load; the report records them with the settings.
using System.CommandLine;
using Microsoft.ML.MirrorGan.Benchmarks;
using static Microsoft.ML.MirrorGan.Tools.ToolCommandLine;

var root = new RootCommand("MirrorGAN benchmarks. Not tests: numbers depend on the machine and its load; record lscpu and the load with them.");

// Default 1 intra-op thread: on a machine shared with other jobs, OpenMP threads spinning against each other made
// steps ~10x slower (measured: 2 threads 1 s/step, 1 thread 0.1 s/step under load 5-8 on 2 cores).
var threads = Int("threads", "Torch intra-op threads", 1, 1, 64);

var stemMinutes = Double("minutes", "Time budget", 4.5, 0.01, 600);
root.Verb("stem-shapes", "STEM (DAMSM) pretraining report on Shapes: R-precision and text-to-image retrieval on held-out images.",
    r => Threads(r.GetValue(threads)) + Run(() => StemBenchmarks.Shapes(TimeSpan.FromMinutes(r.GetValue(stemMinutes)))), stemMinutes, threads);
root.Verb("stem-fashion", "STEM (DAMSM) pretraining report on Fashion-MNIST.",
    r => Threads(r.GetValue(threads)) + Run(() => StemBenchmarks.FashionMnist(TimeSpan.FromMinutes(r.GetValue(stemMinutes)))), stemMinutes, threads);

var ignored = Double("minutes", "Ignored (kept so earlier command lines still parse)", 0, 0, 600);
root.Verb("onnx-speed", "TorchSharp vs ONNX Runtime generation (BenchmarkDotNet).",
    r => Run(() => OnnxSpeedBenchmarks.Run(r.GetValue(threads))), ignored, threads);

var classifierMinutes = Double("minutes", "Training budget", 3, 0.01, 600);
root.Verb("fashion-classifier", "The built-in Fashion-MNIST classifier used for IS and class accuracy.",
    r => Threads(r.GetValue(threads)) + Run(() => FashionClassifierBenchmark.Run(TimeSpan.FromMinutes(r.GetValue(classifierMinutes)))), classifierMinutes, threads);

var memorySteps = Int("steps", "GAN steps", 500, 1, 10_000_000);
var memoryPreset = Choice("network", "tiny: the Tiny preset's network; small: the smaller default", "small", "small", "tiny");
root.Verb("glam-memory", "RSS every 50 GAN steps.",
    r => Threads(r.GetValue(threads)) + Run(() => GlamBenchmarks.Memory(r.GetValue(memorySteps), r.GetValue(memoryPreset) == "tiny")), memorySteps, threads, memoryPreset);

var preset = Choice("preset", "Networks of this preset", "tiny", "tiny", "cub");
var batch = Int("batch", "Batch size", 4, 1, 4096);
var steps = Int("steps", "Timed steps", 20, 1, 1_000_000);
var warmup = Int("warm-up", "Untimed steps first (default: 2 for tiny, 1 for cub)", -1, -1, 1000);
root.Verb("train-split", "One GAN step split into phases (docs/performance.md).",
    r => Threads(r.GetValue(threads)) + Run(() => PerfBenchmarks.TrainSplit(r.GetValue(preset)!, r.GetValue(batch), r.GetValue(steps),
        r.GetValue(warmup) >= 0 ? r.GetValue(warmup) : r.GetValue(preset) == "cub" ? 1 : 2)), preset, batch, steps, threads, warmup);
root.Verb("gflops", "sgemm peak vs achieved GFLOP/s of CUB generation and G forward.", r => Threads(r.GetValue(threads)) + Run(PerfBenchmarks.Gflops), threads);
var genPreset = Choice("preset", "Networks of this preset", "cub", "tiny", "cub");
var genBatch = Int("batch", "Batch size", 8, 1, 4096);
root.Verb("gen-memory", "Peak RSS (VmHWM) while generating.",
    r => Threads(r.GetValue(threads)) + Run(() => PerfBenchmarks.GenerationMemory(r.GetValue(genPreset)!, r.GetValue(genBatch))), genPreset, genBatch, threads);
var evalModel = new Argument<string>("model") { Description = "A model.zip (default mirrorgan-output/model.zip)", DefaultValueFactory = _ => "mirrorgan-output/model.zip", Arity = ArgumentArity.ZeroOrOne };
var prompts = Int("prompts", "Prompts to generate", 300, 1, 1_000_000);
root.Verb("eval-passes", "The held-out evaluation's read of a chain: two GetColumn calls vs one cursor.",
    r => Threads(r.GetValue(threads)) + Run(() => PerfBenchmarks.EvaluationPasses(r.GetValue(evalModel)!, r.GetValue(prompts))), evalModel, prompts, threads);

var profilePreset = Choice("preset", "Networks of this preset", "cub", "tiny", "cub");
var profileBatch = Int("batch", "Batch size", 1, 1, 4096);
var runs = Int("runs", "Profiled runs", 5, 1, 100_000);
var spin = Choice("spin", "ONNX Runtime thread spinning", "spin", "spin", "nospin");
root.Verb("onnx-profile", "ONNX Runtime's profiler on the generator graph: time per operator.",
    r => Run(() => OnnxProfile.Run(r.GetValue(profilePreset)!, r.GetValue(profileBatch), r.GetValue(threads), r.GetValue(runs), r.GetValue(spin) == "spin")),
    profilePreset, profileBatch, threads, runs, spin);

return Invoke(root, args);
