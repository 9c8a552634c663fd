// Usage: dotnet run --project test/Microsoft.ML.MirrorGan.Benchmarks -c Release -- <command> [args]
//   stem-shapes|stem-fashion [minutes] [threads]   STEM pretraining report
//   onnx-speed [ignored] [threads]                 TorchSharp vs ONNX Runtime generation (BenchmarkDotNet)
//   fashion-classifier [minutes]                   built-in Fashion-MNIST classifier for IS / class accuracy
//   scalar-race                                    TorchSharp Scalar lifetime race, with and without TorchGcGuard
//   glam-memory [steps] [threads] [tiny]           RSS every 50 GAN steps; "tiny" uses the Tiny preset's network
//   fuzz-models [cases] [seed] [zip|onnx|both] [timeout s] [summary.json]   mutated model zips / ONNX files, child processes
//   train-split tiny|cub BATCH [steps] [threads] [warm-up]  one GAN step split into phases (docs/performance.md)
//   gflops [threads]                               sgemm peak vs achieved GFLOP/s of CUB generation / G forward
//   gen-memory tiny|cub BATCH [threads]            peak RSS (VmHWM) while generating
//   eval-passes MODEL.zip [prompts] [threads]      QuickStart evaluation read: two GetColumn calls vs one cursor
//   onnx-profile [tiny|cub] [batch] [threads] [runs] [spin|nospin]   ONNX Runtime profiler: generator time per operator
//   soak [steps] [predictions] [guarded|entered]   RSS growth over N tiny GAN steps and M single-row predictions
//                                                  (entered: each Predict inside TorchGcGuard.Enter(), as the web sample does)
//   inference-race [seconds] [both|guarded|unguarded]  8 threads scoring one loaded chain vs sequential results
// Trains STEM (DAMSM pretraining) for a bounded time and reports R-precision and text→image retrieval on held-out
// real images. `scalar-race` reproduces TorchSharp's Scalar lifetime race with and without TorchGcGuard.
// Not a test: numbers depend on the machine and its load; the report records them with the settings.
using System.CommandLine;
using System.Globalization;
using Microsoft.ML.MirrorGan.Benchmarks;

// Every verb parses with System.CommandLine: --help at the root and per verb, and each argument checked against its
// range with a one-line message (setting, value, allowed range) before anything runs.
var root = new RootCommand("MirrorGAN benchmarks. Not tests: numbers depend on the machine and its load; record lscpu and the load with them.");

Argument<int> Int(string name, string description, int fallback, int min, int max)
{
    var a = new Argument<int>(name) { Description = $"{description} ({min} to {max:N0}; default {fallback:N0})", DefaultValueFactory = _ => fallback, Arity = ArgumentArity.ZeroOrOne };
    a.Validators.Add(r =>
    {
        int v = r.GetValueOrDefault<int>();
        if (v < min || v > max) r.AddError($"{name} is {v}; it must be {min} to {max:N0}.");
    });
    return a;
}

Argument<double> Double(string name, string description, double fallback, double min, double max)
{
    var a = new Argument<double>(name) { Description = $"{description} ({min} to {max}; default {fallback})", DefaultValueFactory = _ => fallback, Arity = ArgumentArity.ZeroOrOne };
    a.Validators.Add(r =>
    {
        double v = r.GetValueOrDefault<double>();
        if (!(v >= min && v <= max)) r.AddError(FormattableString.Invariant($"{name} is {v}; it must be {min} to {max}."));
    });
    return a;
}

Argument<string> Choice(string name, string description, string fallback, params string[] allowed)
{
    var a = new Argument<string>(name) { Description = $"{description} ({string.Join(" | ", allowed)}; default {fallback})", DefaultValueFactory = _ => fallback, Arity = ArgumentArity.ZeroOrOne };
    a.AcceptOnlyFromAmong(allowed);
    return a;
}

void Verb(string name, string description, Func<ParseResult, int> run, params Argument[] arguments)
{
    var command = new Command(name, description);
    foreach (var a in arguments) command.Arguments.Add(a);
    command.SetAction(run);
    root.Subcommands.Add(command);
}

int Threads(int threads)
{
    TorchSharp.torch.set_num_threads(threads);
    return 0;
}

// Default 1 intra-op thread: on a machine shared with other jobs, OpenMP threads spinning against each other made
// steps ~10x slower (measured: 2 threads 1 s/step, 1 thread 0.1 s/step under load 5-8 on 2 cores).
var threads = Int("threads", "Torch intra-op threads", 1, 1, 64);

var stemMinutes = Double("minutes", "Time budget", 4.5, 0.01, 600);
Verb("stem-shapes", "STEM (DAMSM) pretraining report on Shapes: R-precision and text-to-image retrieval on held-out images.",
    r => Threads(r.GetValue(threads)) + Run(() => StemBenchmarks.Shapes(TimeSpan.FromMinutes(r.GetValue(stemMinutes)))), stemMinutes, threads);
Verb("stem-fashion", "STEM (DAMSM) pretraining report on Fashion-MNIST.",
    r => Threads(r.GetValue(threads)) + Run(() => StemBenchmarks.FashionMnist(TimeSpan.FromMinutes(r.GetValue(stemMinutes)))), stemMinutes, threads);

var ignored = Double("minutes", "Ignored (kept so earlier command lines still parse)", 0, 0, 600);
Verb("onnx-speed", "TorchSharp vs ONNX Runtime generation (BenchmarkDotNet).",
    r => Run(() => OnnxSpeedBenchmarks.Run(r.GetValue(threads))), ignored, threads);

var classifierMinutes = Double("minutes", "Training budget", 3, 0.01, 600);
Verb("fashion-classifier", "The built-in Fashion-MNIST classifier used for IS and class accuracy.",
    r => Threads(r.GetValue(threads)) + Run(() => FashionClassifierBenchmark.Run(TimeSpan.FromMinutes(r.GetValue(classifierMinutes)))), classifierMinutes, threads);

Verb("scalar-race", "TorchSharp's Scalar lifetime race, with and without TorchGcGuard.", _ => Threads(1) + Run(() => ScalarRace.Run(steps: 200_000)));

var memorySteps = Int("steps", "GAN steps", 500, 1, 10_000_000);
var memoryPreset = Choice("network", "tiny: the Tiny preset's network; small: the smaller default", "small", "small", "tiny");
Verb("glam-memory", "RSS every 50 GAN steps.",
    r => Threads(r.GetValue(threads)) + Run(() => GlamBenchmarks.Memory(r.GetValue(memorySteps), r.GetValue(memoryPreset) == "tiny")), memorySteps, threads, memoryPreset);

var fuzzCases = Int("cases", "Cases per kind", 1000, 1, 10_000_000);
var fuzzSeed = Int("seed", "Seed", 1, int.MinValue, int.MaxValue);
var fuzzKinds = Choice("kinds", "Which files to mutate", "all", "all", "zip", "onnx", "both");
var fuzzTimeout = Double("timeout", "Seconds a child may take per case", 30, 1, 3600);
var fuzzSummary = new Argument<string?>("summary") { Description = "Where to write the JSON summary", Arity = ArgumentArity.ZeroOrOne };
Verb("fuzz-models", "Mutated model zips / ONNX files, loaded and scored in child processes.",
    r => ModelFuzz.Run(new[] { "fuzz-models", r.GetValue(fuzzCases).ToString(CultureInfo.InvariantCulture), r.GetValue(fuzzSeed).ToString(CultureInfo.InvariantCulture),
        r.GetValue(fuzzKinds)!, r.GetValue(fuzzTimeout).ToString(CultureInfo.InvariantCulture) }.Concat(r.GetValue(fuzzSummary) is { } sp ? new[] { sp } : Array.Empty<string>()).ToArray()),
    fuzzCases, fuzzSeed, fuzzKinds, fuzzTimeout, fuzzSummary);
var workerArgs = new Argument<string[]>("args") { Arity = ArgumentArity.OneOrMore };
var worker = new Command("fuzz-worker", "(internal) the child process of fuzz-models") { Hidden = true };
worker.Arguments.Add(workerArgs);
worker.SetAction(r => ModelFuzz.Worker(new[] { "fuzz-worker" }.Concat(r.GetValue(workerArgs)!).ToArray()));
root.Subcommands.Add(worker);

var preset = Choice("preset", "Networks of this preset", "tiny", "tiny", "cub");
var batch = Int("batch", "Batch size", 4, 1, 4096);
var steps = Int("steps", "Timed steps", 20, 1, 1_000_000);
var warmup = Int("warm-up", "Untimed steps first (default: 2 for tiny, 1 for cub)", -1, -1, 1000);
Verb("train-split", "One GAN step split into phases (docs/performance.md).",
    r => Threads(r.GetValue(threads)) + Run(() => PerfBenchmarks.TrainSplit(r.GetValue(preset)!, r.GetValue(batch), r.GetValue(steps),
        r.GetValue(warmup) >= 0 ? r.GetValue(warmup) : r.GetValue(preset) == "cub" ? 1 : 2)), preset, batch, steps, threads, warmup);
Verb("gflops", "sgemm peak vs achieved GFLOP/s of CUB generation and G forward.", r => Threads(r.GetValue(threads)) + Run(PerfBenchmarks.Gflops), threads);
var genPreset = Choice("preset", "Networks of this preset", "cub", "tiny", "cub");
var genBatch = Int("batch", "Batch size", 8, 1, 4096);
Verb("gen-memory", "Peak RSS (VmHWM) while generating.",
    r => Threads(r.GetValue(threads)) + Run(() => PerfBenchmarks.GenerationMemory(r.GetValue(genPreset)!, r.GetValue(genBatch))), genPreset, genBatch, threads);
var evalModel = new Argument<string>("model") { Description = "A model.zip (default mirrorgan-output/model.zip)", DefaultValueFactory = _ => "mirrorgan-output/model.zip", Arity = ArgumentArity.ZeroOrOne };
var prompts = Int("prompts", "Prompts to generate", 300, 1, 1_000_000);
Verb("eval-passes", "QuickStart evaluation read: two GetColumn calls vs one cursor.",
    r => Threads(r.GetValue(threads)) + Run(() => PerfBenchmarks.EvaluationPasses(r.GetValue(evalModel)!, r.GetValue(prompts))), evalModel, prompts, threads);

var profilePreset = Choice("preset", "Networks of this preset", "cub", "tiny", "cub");
var profileBatch = Int("batch", "Batch size", 1, 1, 4096);
var runs = Int("runs", "Profiled runs", 5, 1, 100_000);
var spin = Choice("spin", "ONNX Runtime thread spinning", "spin", "spin", "nospin");
Verb("onnx-profile", "ONNX Runtime's profiler on the generator graph: time per operator.",
    r => Run(() => OnnxProfile.Run(r.GetValue(profilePreset)!, r.GetValue(profileBatch), r.GetValue(threads), r.GetValue(runs), r.GetValue(spin) == "spin")),
    profilePreset, profileBatch, threads, runs, spin);

var soakSteps = Int("steps", "Tiny GAN steps", 1000, 0, 10_000_000);
var predictions = Int("predictions", "Single-row predictions", 10_000, 0, 100_000_000);
var soakMode = Choice("mode", "Inference guard", "unguarded", "unguarded", "guarded", "entered");
Verb("soak", "RSS growth over N tiny GAN steps and M single-row predictions (entered: each Predict inside TorchGcGuard.Enter()).",
    r => Threads(1) + Run(() => RuntimeBenchmarks.Soak(r.GetValue(soakSteps), r.GetValue(predictions), r.GetValue(soakMode) == "guarded", r.GetValue(soakMode) == "entered")),
    soakSteps, predictions, soakMode);
var raceSeconds = Double("seconds", "Duration", 60, 1, 86_400);
var raceModes = Choice("modes", "Which runs", "both", "both", "guarded", "unguarded");
Verb("inference-race", "8 threads scoring one loaded chain vs sequential results.",
    r => Threads(1) + Run(() => RuntimeBenchmarks.InferenceRace(r.GetValue(raceSeconds), r.GetValue(raceModes)!)), raceSeconds, raceModes);

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Run(Action action)
{
    action();
    return 0;
}
