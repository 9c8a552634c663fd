using TorchSharp;

namespace Microsoft.ML.MirrorGan;

/// <summary>Loads TorchSharp's native back end once and turns load failures into actionable errors.</summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _loaded;
    private static TorchNativeLibraryState? _nativeState;

    /// <summary>
    /// Makes TorchSharp's native library loadable where the build-time fix never ran: notebooks (.NET Interactive),
    /// scripts and other hosts that load natives straight from the NuGet package folders. On Linux, when the host's
    /// libstdc++ lacks GLIBCXX_3.4.32 and the <c>libLibTorchSharp.so</c> next to TorchSharp is unpatched, it writes a
    /// patched copy (one version-need flag set to weak, see README "The TorchSharp native fix") into a per-user cache
    /// folder and loads it, so TorchSharp's own load then finds it. The NuGet cache is only read. Call it before the
    /// first use of TorchSharp; <see cref="EnsureLoaded"/> (which every estimator and transformer of this library calls)
    /// calls it too. Idempotent; later calls return the first result.
    /// </summary>
    /// <param name="cacheFolder">Where patched copies are kept; default <c>$MIRRORGAN_NATIVE_CACHE</c>, else
    /// <c>$XDG_CACHE_HOME/microsoft.ml.mirrorgan/native</c> or <c>~/.cache/microsoft.ml.mirrorgan/native</c>.</param>
    /// <returns>What was found and done.</returns>
    /// <exception cref="InvalidOperationException">The patched copy could not be loaded (the message has the loader's error).</exception>
    public static TorchNativeLibraryState PrepareNativeLibrary(string? cacheFolder = null)
    {
        lock (Gate)
        {
            if (_nativeState is { } known) return known;
            if (_loaded) return (_nativeState = TorchNativeLibraryState.NotNeeded).Value;
            // typeof(...).Assembly does not run torch's static constructor (which loads the natives).
            var state = TorchNativeLibrary.Prepare(typeof(torch).Assembly, cacheFolder ?? TorchNativeLibrary.DefaultCacheFolder(), out string? path);
            PatchedLibraryPath = path;
            _nativeState = state;
            return state;
        }
    }

    /// <summary>The patched copy that <see cref="PrepareNativeLibrary"/> loaded, or null when none was needed.</summary>
    public static string? PatchedLibraryPath { get; private set; }

    /// <summary>
    /// Makes sure libtorch and LibTorchSharp are loaded. Throws <see cref="InvalidOperationException"/> with
    /// the likely cause and fix when they are not.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            PrepareNativeLibrary();
            string cache = TorchNativeLibrary.DefaultCacheFolder();
            // Before libtorch runs anything: oneDNN reads its instruction-set limit once, at its first use.
            var plan = CpuConvolutionGuard.Configure(cache);
            try
            {
                // Any tensor op forces TorchSharp's native initialisation.
                using var probe = torch.zeros(1);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(
                    "TorchSharp's native back end could not be loaded. The application must reference a native " +
                    "package (TorchSharp-cpu, or the CUDA one via -p:TorchBackend=...), and on Linux the build applies " +
                    "the GLIBCXX_3.4.32 fix to the copy of libLibTorchSharp.so in the output folder " +
                    "(build/MirrorGan.NativeFix.targets). If you copied the output by hand, copy the patched file, or " +
                    "rebuild/publish. Original error: " + e.Message, e);
            }
            LibTorchSwitches.DisableNnpackWhereUnavailable();
            _cpuConvolutions = CpuConvolutionGuard.Verify(plan, cache);
            _loaded = true;
        }
    }

    private static CpuConvolutionStatus? _cpuConvolutions;

    /// <summary>
    /// Which CPU convolution kernels this process uses and why: <see cref="EnsureLoaded"/> checks libtorch's
    /// convolutions against float64 once per process and avoids oneDNN's kernels where they are wrong (AMD Zen 4 and
    /// Zen 5 hosts; see docs/reliability/cpu-convolutions.md). Loads libtorch when it is not loaded yet.
    /// </summary>
    public static CpuConvolutionStatus CpuConvolutions
    {
        get
        {
            EnsureLoaded();
            return _cpuConvolutions!;
        }
    }

    /// <summary>
    /// For network constructors' base-class calls (<c>: base(TorchRuntime.Loaded(name))</c>): runs
    /// <see cref="EnsureLoaded"/> before TorchSharp creates the native module, so a network built directly, without an
    /// estimator, gets the same native fix and convolution check. Returns <paramref name="name"/>.
    /// </summary>
    internal static string Loaded(string name)
    {
        EnsureLoaded();
        return name;
    }

    /// <summary>Resolves a device name ("cpu", "cuda", "cuda:1", or "auto" for CUDA when available).</summary>
    public static torch.Device ResolveDevice(string? device)
    {
        EnsureLoaded();
        string d = string.IsNullOrWhiteSpace(device) ? "auto" : device.Trim().ToLowerInvariant();
        if (d == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (d.StartsWith("cuda", StringComparison.Ordinal) && !torch.cuda.is_available())
            throw new ArgumentException(
                $"Device '{device}' was requested but CUDA is not available in this process. Build with " +
                "-p:TorchBackend=cuda-linux (or cuda-windows) on a machine with an NVIDIA driver, or use Device = \"cpu\".",
                nameof(device));
        try
        {
            return torch.device(d);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"Device '{device}' is not a device name. Use \"cpu\", \"cuda\", \"cuda:N\" or \"auto\".", nameof(device), e);
        }
    }
}
