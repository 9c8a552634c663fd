using System.Text.Json;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.OnnxRuntime;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>
/// <c>onnx-profile [tiny|cub] [batch] [threads] [runs] [spin|nospin]</c>: runs the exported CA + generator graph of a preset with ONNX
/// Runtime's profiler on and prints where the time goes, per operator type and for the slowest nodes (after ONNX
/// Runtime's own graph optimisations, so fused nodes show under their fused names).
/// </summary>
internal static class OnnxProfile
{
    public static void Run(string preset, int batch, int threads, int runs, bool spinning)
    {
        bool cub = preset == "cub";
        TorchSharp.torch.manual_seed(1);
        var options = cub
            ? new GlamNetworkOptions()
            : new GlamNetworkOptions { Stages = 2, GeneratorDim = 16, ResidualBlocks = 1, ZDim = 32, ConditionDim = 32, TextDim = 64 };
        using var ca = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        using var generator = new GlamGenerator(options);
        ca.eval();
        generator.eval();
        string folder = Path.Combine(Path.GetTempPath(), $"mirrorgan-onnx-profile-{preset}-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        string model = Path.Combine(folder, GeneratorFile);
        File.WriteAllBytes(model, GlamOnnxExporter.Export(ca, generator, normalizeSentence: !cub));

        using var so = new OnnxSessionOptions { IntraOpThreads = threads, AllowSpinning = spinning }.CreateCpuSessionOptions();
        // ONNX Runtime 1.31 writes the profile into the working directory whatever the prefix; it is deleted after reading.
        so.EnableProfiling = true;
        using var session = new InferenceSession(model, so);
        int words = cub ? 18 : 12;
        var inputs = GeneratorOnnxInputs.Random(options, batch, words, new Random(3));
        using (session.Run(inputs)) { }                          // warm-up, not counted below
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < runs; i++)
            using (session.Run(inputs)) { }
        double perRun = clock.Elapsed.TotalMilliseconds / runs;
        string file = session.EndProfiling();

        var byOp = new Dictionary<string, double>();
        var byNode = new Dictionary<string, (string Op, double Us)>();
        var shapes = new Dictionary<string, string>();
        string json = File.ReadAllText(file);
        File.Delete(file);
        using var doc = JsonDocument.Parse(json);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() != "Node" || !e.TryGetProperty("args", out var args) || !args.TryGetProperty("op_name", out var op)) continue;
            string name = e.GetProperty("name").GetString() ?? "";
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            double us = e.GetProperty("dur").GetDouble();
            string opName = op.GetString() ?? "?";
            byOp[opName] = byOp.GetValueOrDefault(opName) + us;
            byNode[name] = (opName, byNode.GetValueOrDefault(name, (opName, 0)).Us + us);
            if (args.TryGetProperty("input_type_shape", out var shape)) shapes[name] = shape.GetRawText().Replace("\n", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        }
        double total = byOp.Values.Sum();
        int n = runs + 1;
        Console.WriteLine($"{preset} batch {batch}, {threads} thread(s): {perRun:F1} ms per run ({batch / perRun * 1000:F2} img/s), " +
            $"kernels {total / n / 1000:F1} ms per run; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| op | ms per run | share |");
        Console.WriteLine("|---|---|---|");
        foreach (var (op, us) in byOp.OrderByDescending(kv => kv.Value))
            Console.WriteLine($"| {op} | {us / n / 1000:F2} | {us / total:P1} |");
        Console.WriteLine("slowest nodes:");
        foreach (var (name, (op, us)) in byNode.OrderByDescending(kv => kv.Value.Us).Take(12))
            Console.WriteLine($"  {name.Replace("_kernel_time", "", StringComparison.Ordinal)} ({op}): {us / n / 1000:F2} ms {shapes.GetValueOrDefault(name)}");
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}
