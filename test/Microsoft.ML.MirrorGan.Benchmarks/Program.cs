// Usage: dotnet run --project test/Microsoft.ML.MirrorGan.Benchmarks -c Release -- <command> [args]
//   stem-shapes|stem-fashion [minutes] [threads]   STEM pretraining report
//   onnx-speed [ignored] [threads]                 TorchSharp vs ONNX Runtime generation (BenchmarkDotNet)
//   fashion-classifier [minutes]                   built-in Fashion-MNIST classifier for IS / class accuracy
//   scalar-race                                    TorchSharp Scalar lifetime race, with and without TorchGcGuard
//   glam-memory [steps] [threads] [tiny]           RSS every 50 GAN steps; "tiny" uses the Tiny preset's network
//   fuzz-models [cases] [seed] [zip|onnx|both] [timeout s] [summary.json]   mutated model zips / ONNX files, child processes
//   train-split tiny|cub BATCH [steps] [threads] [warm-up]  one GAN step split into phases (docs/PERFORMANCE.md)
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
using Microsoft.ML;
using Microsoft.ML.MirrorGan.Benchmarks;

const string Verbs = "stem-shapes, stem-fashion, onnx-speed, onnx-profile, fashion-classifier, scalar-race, glam-memory, " +
    "fuzz-models, train-split, gflops, gen-memory, eval-passes, soak, inference-race (arguments: see the top of Program.cs)";
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Benchmarks <verb> [args]; verbs: " + Verbs);
    return 2;
}
// fuzz-models: seeded mutations of a real model.zip and ONNX export, loaded and scored in child processes (issue 11).
if (args[0] == "fuzz-models") return ModelFuzz.Run(args);
if (args[0] == "fuzz-worker") return ModelFuzz.Worker(args);
if (PerfBenchmarks.TryRun(args, out int perfExit)) return perfExit;
if (args[0] == "onnx-profile")
{
    // onnx-profile [tiny|cub] [batch] [threads] [runs] [spin|nospin]: ONNX Runtime's profiler on the generator graph.
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    OnnxProfile.Run(args.Length > 1 ? args[1] : "cub", Arg(2, 1), Arg(3, 1), Arg(4, 5), args.Length <= 5 || args[5] != "nospin");
    return 0;
}
if (args[0] == "glam-memory")
{
    TorchSharp.torch.set_num_threads(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1);
    GlamBenchmarks.Memory(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500, args.Length > 3 && args[3] == "tiny");
    return 0;
}
if (args[0] is "soak" or "inference-race")
{
    TorchSharp.torch.set_num_threads(1);
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    if (args[0] == "soak") RuntimeBenchmarks.Soak(Arg(1, 1000), Arg(2, 10_000), args.Length > 3 && args[3] == "guarded", args.Length > 3 && args[3] == "entered");
    else RuntimeBenchmarks.InferenceRace(Arg(1, 60), args.Length > 2 ? args[2] : "both");
    return 0;
}
double minutes = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4.5;
// Default 1 intra-op thread: on a machine shared with other jobs, OpenMP threads spinning against each other made
// steps ~10x slower (measured: 2 threads 1 s/step, 1 thread 0.1 s/step under load 5-8 on 2 cores).
TorchSharp.torch.set_num_threads(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1);
switch (args[0])
{
    case "stem-shapes": StemBenchmarks.Shapes(TimeSpan.FromMinutes(minutes)); return 0;
    case "stem-fashion": StemBenchmarks.FashionMnist(TimeSpan.FromMinutes(minutes)); return 0;
    case "scalar-race": ScalarRace.Run(steps: 200_000); return 0;
    // onnx-speed [ignored] [threads]: BenchmarkDotNet, TorchSharp vs ONNX Runtime generation (README "ONNX").
    case "onnx-speed": OnnxSpeedBenchmarks.Run(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1); return 0;
    case "fashion-classifier": FashionClassifierBenchmark.Run(TimeSpan.FromMinutes(args.Length > 1 ? minutes : 3)); return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{args[0]}'; verbs: {Verbs}");
        return 2;
}
