using System.Reflection;

namespace Microsoft.ML.MirrorGan.Tests;

/// <summary>Paths the build recorded into this test assembly, and scratch folders.</summary>
internal static class TestPaths
{
    public static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} missing");

    public static string ModelLoadHost => Path.GetFullPath(Metadata("ModelLoadHost"));

    public static string OnnxHost => Path.GetFullPath(Metadata("OnnxHost"));

    public static string NuGetPackageRoot => Metadata("NuGetPackageRoot");

    /// <summary>A committed fixture file under <c>test/Microsoft.ML.MirrorGan.Tests/Fixtures</c>.</summary>
    public static string Fixture(string relativePath) =>
        Path.Combine(Metadata("RepoRoot"), "test", "Microsoft.ML.MirrorGan.Tests", "Fixtures", relativePath);

    /// <summary>A fresh temporary folder, removed by the caller's using.</summary>
    public static TempDir NewTempDir() => new();

    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mirrorgan-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
