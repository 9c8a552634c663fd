using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.StressTools;

/// <summary>
/// Seeded, bounded fuzzing of the files a service loads (issue 11): a real small ML.NET <c>model.zip</c> (TextEmbed) and a
/// real ONNX export (text encoder + CA + generator) are mutated (bit flips, truncation, inserted bytes, overwritten runs)
/// and each case is loaded and scored in a child process, so a native crash or a hang is counted, not fatal.
/// <code>fuzz-models [cases per kind] [seed] [zip|entry|onnx|all] [timeout seconds per case] [summary.json]</code>
/// Kinds: <c>zip</c> mutates the zip file's bytes (what a bad disk or download does; the zip CRC-32 check catches most);
/// <c>entry</c> mutates the decompressed content of one of the transformer's entries and rewrites a consistent zip (what
/// a hostile file does: it reaches the option readers, the vocabulary reader and TorchSharp's weight loader);
/// <c>onnx</c> mutates one graph file and removes the manifest's SHA-256 list, so every mutated graph reaches ONNX Runtime's parser.
/// Outcomes: <c>loaded</c> (loaded and scored), <c>error:Type</c> (a managed exception; the type of the outermost one,
/// after a slash the first InvalidDataException inside it, else the innermost exception, when ML.NET wrapped it), <c>crash</c> (the child died), <c>hang</c> (no answer
/// within the timeout; the child is killed). Case i of a kind is a pure function of (seed, kind, i).
/// </summary>
internal static class ModelFuzz
{
    private static readonly string[] Captions = { "a red circle on the left", "a big blue square" };

    public static int Run(string[] args)
    {
        int cases = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        int seed = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        string kinds = args.Length > 3 ? args[3] : "all";
        double timeout = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 30;
        string? summaryPath = args.Length > 5 ? args[5] : null;

        string work = Path.Combine(Path.GetTempPath(), "mirrorgan-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            WriteSources(work);
            var summary = new Dictionary<string, object>
            {
                ["seed"] = seed, ["casesPerKind"] = cases, ["timeoutSeconds"] = timeout,
                ["zipBytes"] = new FileInfo(Path.Combine(work, "model.zip")).Length,
                ["onnxBytes"] = new[] { "text_encoder.onnx", "generator.onnx" }.ToDictionary(f => f, f => new FileInfo(Path.Combine(work, "export", f)).Length),
            };
            bool clean = true;
            foreach (var kind in kinds == "all" ? new[] { "zip", "entry", "onnx" } : kinds.Split(','))
            {
                var sw = Stopwatch.StartNew();
                var (counts, examples) = Supervise(work, kind, seed, cases, TimeSpan.FromSeconds(timeout));
                sw.Stop();
                Console.WriteLine($"{kind}: {cases} cases, seed {seed}, {sw.Elapsed.TotalSeconds:F1} s");
                foreach (var (outcome, n) in counts.OrderByDescending(c => c.Value))
                    Console.WriteLine($"  {outcome,-60} {n,6}" + (examples.TryGetValue(outcome, out var ex) ? $"   e.g. {ex}" : ""));
                summary[kind] = new Dictionary<string, object> { ["counts"] = counts, ["examples"] = examples, ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 1) };
                clean &= !counts.ContainsKey("crash") && !counts.ContainsKey("hang");
            }
            string json = JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true });
            if (summaryPath is not null) File.WriteAllText(summaryPath, json);
            Console.WriteLine(clean ? "fuzz: 0 crashes, 0 hangs" : "fuzz: CRASHES OR HANGS FOUND");
            return clean ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The real files to mutate: a TextEmbed model zip and an ONNX export with a tiny generator (seeded weights).</summary>
    private static void WriteSources(string work)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(11);
        var ml = new MLContext(seed: 1);
        var vocabulary = Vocabulary.Build(Captions);
        var text = new TextEncoder(vocabulary.Count, 16, 8);
        var embed = new TextEmbedTransformer(ml, vocabulary, text, new DamsmImageEncoder(new SmallCnnBackbone(32, 4), text.FeatureSize), new TextEmbedColumns(), 8, 32);
        ml.Model.Save(embed, ml.Data.LoadFromEnumerable(new[] { new CaptionRow() }).Schema, Path.Combine(work, "model.zip"));
        var options = new GlamNetworkOptions { Stages = 2, GeneratorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 6, TextDim = text.FeatureSize };
        var ca = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        var generator = new GlamGenerator(options);
        ca.eval();
        generator.eval();
        new MirrorGanOnnxPackage().WithTextEmbed(embed).WithGenerator(ca, generator).Save(Path.Combine(work, "export"));
    }

    private sealed class CaptionRow
    {
        public string Caption { get; set; } = "";
    }

    /// <summary>Runs the cases in child processes, restarting after a crash or a hang, and counts the outcomes.</summary>
    private static (SortedDictionary<string, int> Counts, SortedDictionary<string, string> Examples) Supervise(string work, string kind, int seed, int cases, TimeSpan timeout)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var examples = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Count(string outcome, string detail)
        {
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (!examples.ContainsKey(outcome)) examples[outcome] = detail.Length > 240 ? detail[..240] + "…" : detail;
        }

        int next = 0;
        while (next < cases)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(typeof(ModelFuzz).Assembly.Location);
            foreach (var a in new[] { "fuzz-worker", kind, work, seed.ToString(CultureInfo.InvariantCulture), next.ToString(CultureInfo.InvariantCulture), cases.ToString(CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = new System.Text.StringBuilder();
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) { if (stderr.Length < 20_000) stderr.AppendLine(e.Data); } };
            p.BeginErrorReadLine();
            int current = -1;
            var started = Stopwatch.StartNew();
            while (true)
            {
                var line = p.StandardOutput.ReadLineAsync();
                // The first case also waits for the runtime and the natives to load.
                var limit = current < 0 ? timeout + TimeSpan.FromSeconds(60) : timeout - started.Elapsed;
                if (!line.Wait(limit > TimeSpan.Zero ? limit : TimeSpan.Zero))
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit();
                    if (current == -1) throw new InvalidOperationException($"fuzz worker did not start within {limit}: {stderr}");
                    Count("hang", current >= 0 ? $"case {current} > {timeout.TotalSeconds} s" : $"after case {next - 1}, between cases");
                    if (current >= 0) next = current + 1;
                    break;
                }
                if (line.Result is null)
                {
                    p.WaitForExit();
                    string tail;
                    lock (stderr) tail = stderr.ToString().Trim().Split('\n').LastOrDefault() ?? "";
                    if (current >= 0)
                    {
                        Count("crash", $"case {current}: exit code {p.ExitCode} {tail}");
                        next = current + 1;
                    }
                    else if (current == -1)
                    {
                        throw new InvalidOperationException($"fuzz worker exited before its first case (exit {p.ExitCode}): {stderr}");
                    }
                    else if (p.ExitCode != 0)
                    {
                        Count("crash", $"after case {next - 1}, at exit: exit code {p.ExitCode} {tail}");
                    }
                    break;
                }
                var parts = line.Result.Split('\t', 3);
                if (parts[0] == "start")
                {
                    current = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    started.Restart();
                }
                else if (parts[0] == "done")
                {
                    Count(parts[2].Split('\t')[0], parts[2].Contains('\t', StringComparison.Ordinal) ? $"case {parts[1]}: {parts[2].Split('\t', 2)[1]}" : $"case {parts[1]}");
                    next = int.Parse(parts[1], CultureInfo.InvariantCulture) + 1;
                    current = -2;   // between cases; -2 so that the next wait uses the per-case limit
                    started.Restart();
                }
            }
        }
        return (counts, examples);
    }

    /// <summary>The child: runs cases [start, end) of one kind and reports each on stdout.</summary>
    public static int Worker(string[] args)
    {
        string kind = args[1], work = args[2];
        int seed = int.Parse(args[3], CultureInfo.InvariantCulture), start = int.Parse(args[4], CultureInfo.InvariantCulture), end = int.Parse(args[5], CultureInfo.InvariantCulture);
        TorchRuntime.EnsureLoaded();
        var ml = new MLContext(seed: 1);
        var input = ml.Data.LoadFromEnumerable(Captions.Select(c => new CaptionRow { Caption = c }));
        string caseDir = Path.Combine(work, $"{kind}-{Environment.ProcessId}");
        Directory.CreateDirectory(caseDir);
        string[] graphs = { "text_encoder.onnx", "generator.onnx" };
        if (kind == "onnx")
        {
            foreach (var f in Directory.GetFiles(Path.Combine(work, "export"))) File.Copy(f, Path.Combine(caseDir, Path.GetFileName(f)), overwrite: true);
            var manifest = MirrorGanOnnxManifest.Load(caseDir);
            manifest.Sha256 = null;   // let every mutated graph reach ONNX Runtime (the hash check is tested separately)
            manifest.Save(caseDir);
        }
        var entries = ReadEntries(Path.Combine(work, "model.zip"));
        var ours = entries.Keys.Where(k => k.StartsWith("TransformerChain/", StringComparison.Ordinal) || !k.Contains('/', StringComparison.Ordinal))
            .Where(k => k.EndsWith(".bin", StringComparison.Ordinal) || k.EndsWith("Model.key", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var zip = File.ReadAllBytes(Path.Combine(work, "model.zip"));
        var onnx = graphs.Select(g => File.ReadAllBytes(Path.Combine(work, "export", g))).ToArray();
        for (int i = start; i < end; i++)
        {
            Console.Out.WriteLine($"start\t{i}");
            Console.Out.Flush();
            var rng = new Random(unchecked(seed * 1_000_003 + (kind == "zip" ? 0 : kind == "entry" ? 1 : 2) * 100_000_007 + i));
            string outcome;
            try
            {
                if (kind is "zip" or "entry")
                {
                    string path = Path.Combine(caseDir, "case.zip");
                    if (kind == "zip") File.WriteAllBytes(path, Mutate(zip, rng, out _));
                    else
                    {
                        string target = ours[rng.Next(ours.Length)];
                        WriteZip(path, entries.ToDictionary(e => e.Key, e => e.Key == target ? Mutate(e.Value, rng, out _) : e.Value));
                    }
                    var model = ml.Model.Load(path, out _);
                    var output = model.Transform(input);
                    // A mutated column name is a valid, different model: score whatever vector column it adds.
                    var column = output.Schema.FirstOrDefault(c => c.Type is VectorDataViewType && input.Schema.GetColumnOrNull(c.Name) is null);
                    if (column.Name is null) throw new InvalidOperationException("the loaded model adds no vector column");
                    var features = output.GetColumn<float[]>(column.Name).ToArray();
                    if (features.Length != Captions.Length) throw new InvalidOperationException("wrong row count");
                    (model as IDisposable)?.Dispose();
                }
                else
                {
                    int g = rng.Next(graphs.Length);
                    string path = Path.Combine(caseDir, graphs[g]);
                    File.WriteAllBytes(path, Mutate(onnx[g], rng, out _));
                    try
                    {
                        using var m = MirrorGanOnnxTextToImage.Open(caseDir);
                        var images = m.Generate(Captions, seed: 1);
                        if (images.Length != Captions.Length) throw new InvalidOperationException("wrong image count");
                    }
                    finally
                    {
                        File.WriteAllBytes(path, onnx[g]);
                    }
                }
                outcome = "loaded";
            }
            catch (Exception e)
            {
                var inner = e;
                while (inner.InnerException is not null) inner = inner.InnerException;
                // The most telling message: the first InvalidDataException in the chain, else the innermost one.
                var telling = Chain(e).FirstOrDefault(x => x is InvalidDataException) ?? inner;
                outcome = "error:" + e.GetType().Name + (telling != e ? "/" + telling.GetType().Name : "") + "\t" + OneLine(telling.Message);
            }
            Console.Out.WriteLine($"done\t{i}\t{outcome}");
            Console.Out.Flush();
        }
        return 0;
    }

    private static Dictionary<string, byte[]> ReadEntries(string zip)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var e in archive.Entries)
        {
            using var s = e.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            result[e.FullName] = ms.ToArray();
        }
        return result;
    }

    private static void WriteZip(string path, Dictionary<string, byte[]> entries)
    {
        File.Delete(path);
        using var archive = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var s = archive.CreateEntry(name).Open();
            s.Write(bytes);
        }
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException) yield return x;
    }

    private static string OneLine(string s) => s.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');

    /// <summary>One seeded mutation: bit flips, a truncation, inserted random bytes or an overwritten run.</summary>
    internal static byte[] Mutate(byte[] source, Random rng, out string description)
    {
        var bytes = (byte[])source.Clone();
        switch (rng.Next(4))
        {
            case 0:
            {
                int flips = 1 + rng.Next(8);
                for (int k = 0; k < flips; k++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                description = $"{flips} bit flips";
                return bytes;
            }
            case 1:
            {
                int length = rng.Next(bytes.Length);
                description = $"truncated to {length}";
                return bytes.AsSpan(0, length).ToArray();
            }
            case 2:
            {
                int at = rng.Next(bytes.Length + 1), n = 1 + rng.Next(16);
                var insert = new byte[n];
                rng.NextBytes(insert);
                description = $"{n} bytes inserted at {at}";
                return bytes.Take(at).Concat(insert).Concat(bytes.Skip(at)).ToArray();
            }
            default:
            {
                int n = 1 + rng.Next(16), at = rng.Next(Math.Max(1, bytes.Length - n));
                rng.NextBytes(bytes.AsSpan(at, Math.Min(n, bytes.Length - at)));
                description = $"{n} bytes overwritten at {at}";
                return bytes;
            }
        }
    }
}
