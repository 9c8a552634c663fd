// Usage: dotnet run --project test/Microsoft.ML.MirrorGan.StressTools -c Release -- <command> [args]
//   fuzz-models [cases] [seed] [zip|entry|onnx|all] [timeout s] [summary.json]   mutated model zips / ONNX files, child processes
//   scalar-race                                    TorchSharp Scalar lifetime race, with and without TorchGcGuard
//   soak [steps] [predictions] [guarded|entered]   RSS growth over N tiny GAN steps and M single-row predictions
//                                                  (entered: each Predict inside TorchGcGuard.Enter(), as the web sample does)
//   inference-race [seconds] [both|guarded|unguarded]  8 threads scoring one loaded chain vs sequential results
// Reproductions and stress runs behind docs/reliability.md: they look for crashes, hangs, races and leaks, not speed (the
// timing benchmarks are test/Microsoft.ML.MirrorGan.Benchmarks). Not tests: run by hand; the CI's bounded fuzz job runs
// fuzz-models from Reliability/ModelFuzzTests.
using System.CommandLine;
using System.Globalization;
using Microsoft.ML.MirrorGan.StressTools;
using static Microsoft.ML.MirrorGan.Tools.ToolCommandLine;

var root = new RootCommand("MirrorGAN stress tools: fuzzing, race reproductions and memory soaks (docs/reliability.md). Not tests: run by hand.");

var fuzzCases = Int("cases", "Cases per kind", 1000, 1, 10_000_000);
var fuzzSeed = Int("seed", "Seed", 1, int.MinValue, int.MaxValue);
var fuzzKinds = Choice("kinds", "Which files to mutate", "all", "all", "zip", "entry", "onnx");
var fuzzTimeout = Double("timeout", "Seconds a child may take per case", 30, 1, 3600);
var fuzzSummary = new Argument<string?>("summary") { Description = "Where to write the JSON summary", Arity = ArgumentArity.ZeroOrOne };
root.Verb("fuzz-models", "Mutated model zips / ONNX files, loaded and scored in child processes.",
    r => ModelFuzz.Run(new[] { "fuzz-models", r.GetValue(fuzzCases).ToString(CultureInfo.InvariantCulture), r.GetValue(fuzzSeed).ToString(CultureInfo.InvariantCulture),
        r.GetValue(fuzzKinds)!, r.GetValue(fuzzTimeout).ToString(CultureInfo.InvariantCulture) }.Concat(r.GetValue(fuzzSummary) is { } sp ? new[] { sp } : Array.Empty<string>()).ToArray()),
    fuzzCases, fuzzSeed, fuzzKinds, fuzzTimeout, fuzzSummary);
var workerArgs = new Argument<string[]>("args") { Arity = ArgumentArity.OneOrMore };
var worker = new Command("fuzz-worker", "(internal) the child process of fuzz-models") { Hidden = true };
worker.Arguments.Add(workerArgs);
worker.SetAction(r => ModelFuzz.Worker(new[] { "fuzz-worker" }.Concat(r.GetValue(workerArgs)!).ToArray()));
root.Subcommands.Add(worker);

root.Verb("scalar-race", "TorchSharp's Scalar lifetime race, with and without TorchGcGuard.", _ => Threads(1) + Run(() => ScalarRace.Run(steps: 200_000)));

var soakSteps = Int("steps", "Tiny GAN steps", 1000, 0, 10_000_000);
var predictions = Int("predictions", "Single-row predictions", 10_000, 0, 100_000_000);
var soakMode = Choice("mode", "Inference guard", "unguarded", "unguarded", "guarded", "entered");
root.Verb("soak", "RSS growth over N tiny GAN steps and M single-row predictions (entered: each Predict inside TorchGcGuard.Enter()).",
    r => Threads(1) + Run(() => RuntimeStress.Soak(r.GetValue(soakSteps), r.GetValue(predictions), r.GetValue(soakMode) == "guarded", r.GetValue(soakMode) == "entered")),
    soakSteps, predictions, soakMode);
var raceSeconds = Double("seconds", "Duration", 60, 1, 86_400);
var raceModes = Choice("modes", "Which runs", "both", "both", "guarded", "unguarded");
root.Verb("inference-race", "8 threads scoring one loaded chain vs sequential results.",
    r => Threads(1) + Run(() => RuntimeStress.InferenceRace(r.GetValue(raceSeconds), r.GetValue(raceModes)!)), raceSeconds, raceModes);

return Invoke(root, args);
