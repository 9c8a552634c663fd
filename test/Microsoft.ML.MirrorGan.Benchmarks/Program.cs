// Usage: dotnet run --project test/Microsoft.ML.MirrorGan.Benchmarks -c Release -- <stem-shapes|stem-fashion|onnx-speed> [minutes] [threads]
// Trains STEM (DAMSM pretraining) for a bounded time and reports R-precision and text→image retrieval on held-out
// real images. `scalar-race` reproduces TorchSharp's Scalar lifetime race with and without TorchGcGuard.
// Not a test: numbers depend on the machine and its load; the report records them with the settings.
using Microsoft.ML;
using Microsoft.ML.MirrorGan.Benchmarks;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Benchmarks <stem-shapes|stem-fashion|onnx-speed> [minutes] [threads]");
    return 2;
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
        Console.Error.WriteLine($"unknown benchmark '{args[0]}' (known: stem-shapes, stem-fashion, onnx-speed, scalar-race, fashion-classifier)");
        return 2;
}
