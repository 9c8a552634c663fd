using MirrorGan.Build;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

public class NativeFixTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string PackagedLibrary =>
        Path.Combine(TestPaths.NuGetPackageRoot, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Patching_a_copy_marks_only_that_need_weak_is_idempotent_and_leaves_the_package_alone()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = File.ReadAllBytes(PackagedLibrary);
        var before = ElfVersionNeeds.ReadNeeds(original);
        Assert.Contains(before, n => n.Version == Version && (n.Flags & 2) == 0);

        using var dir = TestPaths.NewTempDir();
        string copy = dir.File("libLibTorchSharp.so");
        File.Copy(PackagedLibrary, copy);

        Assert.Equal(ElfVersionNeeds.Outcome.Patched, ElfVersionNeeds.MarkWeak(copy, Version));
        var after = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(copy));
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Version, after[i].Version);
            ushort expected = before[i].Version == Version ? (ushort)(before[i].Flags | 2) : before[i].Flags;
            Assert.Equal(expected, after[i].Flags);
        }
        // Exactly two bytes may differ (the flags field).
        byte[] patched = File.ReadAllBytes(copy);
        Assert.Equal(original.Length, patched.Length);
        Assert.InRange(original.Zip(patched).Count(p => p.First != p.Second), 1, 2);

        Assert.Equal(ElfVersionNeeds.Outcome.AlreadyWeak, ElfVersionNeeds.MarkWeak(copy, Version));
        Assert.Equal(patched, File.ReadAllBytes(copy));
        Assert.Equal(original, File.ReadAllBytes(PackagedLibrary));
    }

    [Fact]
    public void The_library_in_the_test_output_is_patched_when_the_host_needs_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        string host = ElfVersionNeeds.FindHostLibStdCxx()!;
        bool hostHasIt = ElfVersionNeeds.FileContainsVersionDefinition(host, Version);
        var libs = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.NotEmpty(libs);
        foreach (var lib in libs)
        {
            var need = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(lib)).Single(n => n.Version == Version);
            Assert.Equal(!hostHasIt, (need.Flags & 2) != 0);
        }
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_refused_with_a_clear_error()
    {
        using var dir = TestPaths.NewTempDir();
        string bogus = dir.File("bogus.so");
        File.WriteAllText(bogus, "not a shared library");
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(bogus, Version));
        Assert.Contains("not an ELF", e.Message);
    }
}

public class PackagingTests
{
    [Fact]
    public void The_Transforms_package_carries_the_native_fix_in_buildTransitive()
    {
        using var dir = TestPaths.NewTempDir();
        string project = Path.Combine(TestPaths.Metadata("RepoRoot"), "src", "Transforms", "Microsoft.ML.MirrorGan.Transforms.csproj");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "pack", project, "--no-build", "-c", TestPaths.Metadata("Configuration"), "-o", dir.Path }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string log = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, log);

        string nupkg = Directory.GetFiles(dir.Path, "*.nupkg").Single();
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("buildTransitive/Microsoft.ML.MirrorGan.Transforms.targets", names);
        Assert.Contains("buildTransitive/MirrorGan.NativeFix.targets", names);
        Assert.Contains("buildTransitive/NativeFix/WeakenGlibcxxVersionNeed.cs", names);
        using var reader = new StreamReader(zip.GetEntry("buildTransitive/Microsoft.ML.MirrorGan.Transforms.targets")!.Open());
        Assert.Contains("MirrorGan.NativeFix.targets", reader.ReadToEnd());
    }
}
