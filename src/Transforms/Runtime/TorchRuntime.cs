using TorchSharp;

namespace Microsoft.ML.MirrorGan;

/// <summary>Loads TorchSharp's native back end once and turns load failures into actionable errors.</summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _loaded;

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
            _loaded = true;
        }
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
