using MirrorGan.Build;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

/// <summary>TorchRuntime.PrepareNativeLibrary: the patched per-user copy that notebooks load (README "Notebooks").</summary>
public class TorchNativeLibraryTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string PackagedLibrary =>
        Path.Combine(TestPaths.NuGetPackageRoot, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static bool HostLacksVersion()
    {
        string? host = ElfVersionNeeds.FindHostLibStdCxx();
        return host != null && !ElfVersionNeeds.FileContainsVersionDefinition(host, Version);
    }

    [Fact]
    public void The_patched_copy_lands_in_the_cache_folder_with_the_weak_flag_once_and_the_package_is_only_read()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = File.ReadAllBytes(PackagedLibrary);
        using var dir = TestPaths.NewTempDir();

        string copy = TorchNativeLibrary.PreparePatchedCopy(PackagedLibrary, dir.Path);

        Assert.Equal(dir.Path, Path.GetDirectoryName(Path.GetDirectoryName(copy)));
        Assert.Equal("libLibTorchSharp.so", Path.GetFileName(copy));
        var need = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(copy)).Single(n => n.Version == Version);
        Assert.Equal(2, need.Flags & 2);
        Assert.True(TorchNativeLibrary.IsPatched(copy));
        Assert.False(TorchNativeLibrary.IsPatched(PackagedLibrary));
        Assert.Equal(original, File.ReadAllBytes(PackagedLibrary));
        // Only the one file: the temporary name was renamed into place.
        Assert.Single(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));

        // A second call reuses the copy instead of writing it again.
        var written = File.GetLastWriteTimeUtc(copy);
        Thread.Sleep(20);
        Assert.Equal(copy, TorchNativeLibrary.PreparePatchedCopy(PackagedLibrary, dir.Path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(copy));
    }

    [Fact]
    public void A_damaged_copy_in_the_cache_is_replaced()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = TestPaths.NewTempDir();
        string copy = TorchNativeLibrary.PreparePatchedCopy(PackagedLibrary, dir.Path);
        File.Copy(PackagedLibrary, copy, overwrite: true);          // e.g. an unpatched file put there by hand
        Assert.False(TorchNativeLibrary.IsPatched(copy));

        Assert.Equal(copy, TorchNativeLibrary.PreparePatchedCopy(PackagedLibrary, dir.Path));
        Assert.True(TorchNativeLibrary.IsPatched(copy));
    }

    [Fact]
    public void TorchSharp_from_the_NuGet_cache_loads_the_patched_copy_and_runs()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = TestPaths.NewTempDir();
        string fallbackFolder = Path.Combine(TestPaths.NuGetPackageRoot, "torchsharp", "0.107.0", "lib", "net8.0", "cpu");
        bool fallbackExisted = Directory.Exists(fallbackFolder);
        byte[] original = File.ReadAllBytes(PackagedLibrary);

        var (exit, output) = ChildProcess.RunDotnet(TestPaths.Metadata("NuGetCacheHost"), TimeSpan.FromMinutes(2), dir.Path);

        Assert.True(exit == 0, output);
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains('=')).Select(l => (Key: l[..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..])).ToList();
        string Value(string key) => values.First(v => v.Key == key).Value;
        // The scenario under test: TorchSharp's assembly (and so its natives) come from the NuGet cache.
        Assert.StartsWith(Path.GetFullPath(TestPaths.NuGetPackageRoot), Path.GetFullPath(Value("torchsharp")));
        Assert.Equal("3", Value("sum"));
        var mapped = values.Where(v => v.Key == "mapped").Select(v => v.Value).ToList();
        if (HostLacksVersion())
        {
            Assert.Equal(nameof(TorchNativeLibraryState.LoadedPatchedCopy), Value("state"));
            string patched = Value("patched");
            Assert.StartsWith(dir.Path, patched);
            // Exactly one LibTorchSharp in the process: the patched copy, which TorchSharp's own load bound to.
            Assert.Equal(new[] { patched }, mapped);
        }
        else
        {
            Assert.Equal(nameof(TorchNativeLibraryState.NotNeeded), Value("state"));
        }
        // TorchSharp never fell back to copying natives into the package folder, and the package is unchanged.
        Assert.Equal(fallbackExisted, Directory.Exists(fallbackFolder));
        Assert.Equal(original, File.ReadAllBytes(PackagedLibrary));
    }
}
