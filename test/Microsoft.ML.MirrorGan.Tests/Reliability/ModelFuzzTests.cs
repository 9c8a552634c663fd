using System.Text.Json;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, the bounded fuzz job in CI: the StressTools' <c>fuzz-models</c> verb mutates a real model.zip and a real ONNX
/// export 100 times each (seeded) and loads and scores every case in child processes. A native crash or a hang in any
/// case fails this test; every case must end loaded or with a managed exception that says the file is bad.
/// </summary>
public class ModelFuzzTests
{
    private const int Cases = 100;

    [Fact]
    public void Hundred_mutated_model_zips_and_onnx_files_give_no_crash_and_no_hang()
    {
        string dll = Path.GetFullPath(TestPaths.Metadata("StressTools"));
        using var dir = TestPaths.NewTempDir();
        string summary = dir.File("fuzz.json");
        var (exit, output) = ChildProcess.RunDotnet(dll, TimeSpan.FromMinutes(8), "fuzz-models", $"{Cases}", "20261127", "all", "60", summary);
        Assert.True(exit == 0, output);
        Assert.Contains("fuzz: 0 crashes, 0 hangs", output);

        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        foreach (var kind in new[] { "zip", "entry", "onnx" })
        {
            var counts = json.RootElement.GetProperty(kind).GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            Assert.Equal(Cases, counts.Values.Sum());
            Assert.DoesNotContain("crash", counts.Keys);
            Assert.DoesNotContain("hang", counts.Keys);
            // Every failure is a managed exception that refuses the file, not a bug surfacing (NullReference, IndexOutOfRange ...).
            var unexpected = counts.Keys.Where(k => k != "loaded" && !Clear(k)).ToList();
            Assert.True(unexpected.Count == 0, $"{kind}: {string.Join(", ", unexpected)}\n{output}");
            Assert.True(counts.Where(c => c.Key != "loaded").Sum(c => c.Value) > Cases / 4, $"{kind}: the mutations should break most files\n{output}");
        }
    }

    // Exceptions that mean a bug met the bad bytes, not a refusal of them. ML.NET's own refusals (FormatException,
    // FileNotFoundException for a damaged loader assembly name, CultureNotFoundException ...) are managed and clean.
    private static readonly string[] BugTypes =
    {
        "NullReferenceException", "IndexOutOfRangeException", "AccessViolationException", "InvalidCastException", "KeyNotFoundException",
        "DivideByZeroException", "OverflowException", "OutOfMemoryException", "SEHException", "ExternalException", "InsufficientExecutionStackException",
    };

    private static bool Clear(string outcome) =>
        outcome.StartsWith("error:", StringComparison.Ordinal) && !outcome["error:".Length..].Split('/').Any(BugTypes.Contains);
}
