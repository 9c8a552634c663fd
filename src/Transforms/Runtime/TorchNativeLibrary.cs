using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MirrorGan.Build;

namespace Microsoft.ML.MirrorGan;

/// <summary>What <see cref="TorchRuntime.PrepareNativeLibrary"/> found and did.</summary>
public enum TorchNativeLibraryState
{
    /// <summary>Nothing to do: not Linux, or the host's libstdc++ provides the version TorchSharp's library needs.</summary>
    NotNeeded,
    /// <summary>The library TorchSharp loads is already patched (an application built with the package's build targets).</summary>
    AlreadyPatched,
    /// <summary>No <c>libLibTorchSharp.so</c> was found next to TorchSharp; TorchSharp's own loader will report it.</summary>
    LibraryNotFound,
    /// <summary>A patched copy from the per-user cache folder was loaded; TorchSharp binds to it by its SONAME.</summary>
    LoadedPatchedCopy,
}

/// <summary>
/// Locates TorchSharp's <c>libLibTorchSharp.so</c>, makes a patched copy in a per-user cache folder and loads it.
/// Why: .NET Interactive and similar hosts load natives straight from the NuGet package folders, where the build-time
/// fix (build/MirrorGan.NativeFix.targets) never runs and which must not be edited. glibc matches a later
/// <c>dlopen("libLibTorchSharp.so")</c> against an already loaded object's SONAME, so once the patched copy is loaded
/// TorchSharp's own load by name succeeds and never falls back to copying ~480 MB of natives into the package folder.
/// </summary>
internal static class TorchNativeLibrary
{
    internal const string VersionName = "GLIBCXX_3.4.32";
    internal const string FileName = "libLibTorchSharp.so";
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Per-user cache: $MIRRORGAN_NATIVE_CACHE, else $XDG_CACHE_HOME or ~/.cache, then microsoft.ml.mirrorgan/native.</summary>
    internal static string DefaultCacheFolder()
    {
        string? explicitFolder = Environment.GetEnvironmentVariable("MIRRORGAN_NATIVE_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitFolder)) return explicitFolder;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "microsoft.ml.mirrorgan", "native");
    }

    /// <summary>True when this host's libstdc++ lacks <see cref="VersionName"/> (so an unpatched library cannot load).</summary>
    internal static bool HostNeedsPatch()
    {
        if (!OperatingSystem.IsLinux()) return false;
        string? host = ElfVersionNeeds.FindHostLibStdCxx();
        return host != null && !ElfVersionNeeds.FileContainsVersionDefinition(host, VersionName);
    }

    /// <summary>The library the runtime would load for <paramref name="torchSharp"/>: app folder first, then the package layout.</summary>
    internal static string? FindLibrary(Assembly torchSharp)
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string app = AppContext.BaseDirectory;
        string? asmDir = string.IsNullOrEmpty(torchSharp.Location) ? null : Path.GetDirectoryName(torchSharp.Location);
        var candidates = new List<string> { Path.Combine(app, FileName), Path.Combine(app, "runtimes", rid, "native", FileName) };
        if (asmDir != null)
        {
            candidates.Add(Path.Combine(asmDir, FileName));
            // NuGet layout: <package>/<version>/lib/<tfm>/TorchSharp.dll and <package>/<version>/runtimes/<rid>/native/.
            candidates.Add(Path.GetFullPath(Path.Combine(asmDir, "..", "..", "runtimes", rid, "native", FileName)));
        }
        return candidates.FirstOrDefault(File.Exists);
    }

    internal static bool IsPatched(string library) =>
        ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(library)).All(n => n.Version != VersionName || (n.Flags & VerFlgWeak) != 0);

    /// <summary>
    /// Returns the path of a patched copy of <paramref name="source"/> under <paramref name="cacheFolder"/>, making it
    /// when missing. The copy lives in a subfolder named after the source's SHA-256, so another TorchSharp version gets
    /// its own copy; it is written under a unique temporary name and renamed into place, so concurrent processes never
    /// see a half-written file. The source is only read.
    /// </summary>
    internal static string PreparePatchedCopy(string source, string cacheFolder)
    {
        byte[] bytes = File.ReadAllBytes(source);
        string key = Convert.ToHexString(SHA256.HashData(bytes), 0, 8).ToLowerInvariant();
        string folder = Path.Combine(cacheFolder, key);
        string target = Path.Combine(folder, FileName);
        if (File.Exists(target) && IsPatched(target)) return target;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $"{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            ElfVersionNeeds.MarkWeak(temp, VersionName);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return target;
    }

    internal static TorchNativeLibraryState Prepare(Assembly torchSharp, string cacheFolder, out string? loadedPath)
    {
        loadedPath = null;
        if (!HostNeedsPatch()) return TorchNativeLibraryState.NotNeeded;
        string? library = FindLibrary(torchSharp);
        if (library == null) return TorchNativeLibraryState.LibraryNotFound;
        if (IsPatched(library)) return TorchNativeLibraryState.AlreadyPatched;

        // LibTorchSharp's DT_NEEDED entries (libtorch.so, libtorch_cpu.so, libc10.so, and libtorch_cuda.so for the
        // CUDA build) are found through its RUNPATH $ORIGIN, which is the cache folder for the copy. Loading them first,
        // by name and relative to TorchSharp as TorchSharp itself does, lets the loader match them by SONAME instead.
        foreach (string dependency in new[] { "torch_cpu", "torch_cuda", "torch" })
            NativeLibrary.TryLoad(dependency, torchSharp, null, out _);

        string copy = PreparePatchedCopy(library, cacheFolder);
        try
        {
            NativeLibrary.Load(copy);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException(
                $"The patched copy '{copy}' of '{library}' could not be loaded. Reference the native package " +
                "(TorchSharp-cpu, or TorchSharp-cuda-linux) so that libtorch is restored next to TorchSharp. " +
                "Loader error: " + e.Message, e);
        }
        loadedPath = copy;
        return TorchNativeLibraryState.LoadedPatchedCopy;
    }
}
