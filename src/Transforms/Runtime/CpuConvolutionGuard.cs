using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace Microsoft.ML.MirrorGan;

/// <summary>Which CPU convolution kernels libtorch uses in this process (see <see cref="TorchRuntime.CpuConvolutions"/>).</summary>
public enum CpuConvolutionPath
{
    /// <summary>oneDNN with the CPU's full instruction set (AVX-512 or AVX2): the fastest, where it is right.</summary>
    OneDnnNative,
    /// <summary>oneDNN limited to its SSE4.1 kernels (<c>ONEDNN_MAX_CPU_ISA=SSE41</c>), set before its first use.</summary>
    OneDnnSse41,
    /// <summary>oneDNN off: libtorch's own convolutions (im2col and BLAS), the slowest.</summary>
    OneDnnOff,
}

/// <summary>What the start-up convolution check found and which kernels this process uses.</summary>
/// <param name="Path">The kernels in use.</param>
/// <param name="Reason">Why, in one sentence.</param>
/// <param name="Failures">The results that were wrong at the first check (empty when none).</param>
/// <param name="CheckTime">Time spent checking (all checks of this process).</param>
public sealed record CpuConvolutionStatus(CpuConvolutionPath Path, string Reason, IReadOnlyList<string> Failures, TimeSpan CheckTime)
{
    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"CPU convolutions: {Path} ({Reason}; check {CheckTime.TotalMilliseconds:F0} ms)") +
        (Failures.Count == 0 ? "" : $"; wrong at first: {string.Join("; ", Failures)}");
}

/// <summary>
/// Keeps libtorch's CPU convolutions right on every x86-64 CPU. Why: libtorch 2.10's oneDNN (v3.7) JIT convolutions
/// return wrong values, often NaN, on AMD Zen 4 / Zen 5 hosts (AVX-512) for channel counts that are not a multiple of
/// their 16-channel block, and for the input gradient of 3-channel (RGB) heads; the GAN then diverges at its first
/// iteration. The oneDNN instruction-set limit can only be set before oneDNN's first use, and a check needs oneDNN, so:
/// <list type="number">
/// <item>Before libtorch runs anything: CPUs of the affected class (AMD with AVX-512), and CPUs an earlier process
/// found wrong (a verdict kept in the per-user cache folder), get <c>ONEDNN_MAX_CPU_ISA=SSE41</c> unless the user set
/// a limit.</item>
/// <item>After loading: <see cref="CpuConvolutionCheck"/> compares the known-bad shapes with float64. Right: done.
/// Wrong: oneDNN is turned off for this process, the check runs again, and the verdict is cached so the next process
/// starts with the faster SSE4.1 limit.</item>
/// </list>
/// A CPU the bug does not hit pays only the check (tens of milliseconds, once per process).
/// <c>MIRRORGAN_CPU_CONVOLUTIONS</c> = <c>native</c> | <c>sse41</c> | <c>onednn-off</c> forces a path, without
/// the check, for benchmarks; users need not set anything.
/// </summary>
internal static class CpuConvolutionGuard
{
    internal const string OverrideVariable = "MIRRORGAN_CPU_CONVOLUTIONS";
    internal const string IsaVariable = "ONEDNN_MAX_CPU_ISA";
    private const string LegacyIsaVariable = "DNNL_MAX_CPU_ISA";
    internal const string BaselineIsa = "SSE41";

    /// <summary>What <see cref="Configure"/> decided before libtorch ran anything.</summary>
    internal sealed record Plan(CpuConvolutionPath? Forced, bool LimitIsa, string Reason);

    /// <summary>Step 1, before any libtorch operation: decides and applies the instruction-set limit.</summary>
    internal static Plan Configure(string cacheFolder)
    {
        var plan = Choose(
            Environment.GetEnvironmentVariable(OverrideVariable),
            Environment.GetEnvironmentVariable(IsaVariable) ?? Environment.GetEnvironmentVariable(LegacyIsaVariable),
            IsKnownAffectedCpu(),
            ReadVerdict(cacheFolder));
        if (plan.LimitIsa) LibTorchSwitches.SetNativeEnvironmentVariable(IsaVariable, BaselineIsa);
        return plan;
    }

    /// <summary>The pure decision of step 1.</summary>
    internal static Plan Choose(string? forced, string? userIsaLimit, bool knownAffected, CpuConvolutionPath? cachedVerdict)
    {
        switch (forced?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto": break;
            case "native": return new Plan(CpuConvolutionPath.OneDnnNative, false, $"forced by {OverrideVariable}");
            case "sse41": return new Plan(CpuConvolutionPath.OneDnnSse41, true, $"forced by {OverrideVariable}");
            case "onednn-off": return new Plan(CpuConvolutionPath.OneDnnOff, false, $"forced by {OverrideVariable}");
            default:
                throw new InvalidOperationException(
                    $"{OverrideVariable}='{forced}' is not a setting. Use auto (the default), native, sse41 or onednn-off, or unset it.");
        }
        if (!string.IsNullOrWhiteSpace(userIsaLimit)) return new Plan(null, false, $"{IsaVariable}={userIsaLimit} set by the user");
        if (cachedVerdict is CpuConvolutionPath.OneDnnSse41 or CpuConvolutionPath.OneDnnOff)
            return new Plan(null, true, "an earlier process found oneDNN's native kernels wrong on this CPU");
        if (knownAffected) return new Plan(null, true, "AMD CPU with AVX-512, where oneDNN 3.7's AVX-512 convolutions are wrong");
        return new Plan(null, false, "no known problem");
    }

    /// <summary>Step 2, after libtorch is loaded: checks, falls back to oneDNN off when needed, records the verdict.</summary>
    internal static CpuConvolutionStatus Verify(Plan plan, string cacheFolder)
    {
        if (plan.Forced is { } forced)
        {
            if (forced == CpuConvolutionPath.OneDnnOff && !LibTorchSwitches.TrySetOneDnnEnabled(false))
                throw new InvalidOperationException($"{OverrideVariable}=onednn-off: this libtorch build does not export the switch.");
            return new CpuConvolutionStatus(forced, plan.Reason, Array.Empty<string>(), TimeSpan.Zero);
        }
        var status = Decide(plan, () => CpuConvolutionCheck.Run(), () => LibTorchSwitches.TrySetOneDnnEnabled(false));
        if (status.Failures.Count > 0) WriteVerdict(cacheFolder, status.Path);
        return status;
    }

    /// <summary>
    /// The pure decision of step 2: <paramref name="check"/> returns the wrong results (empty when right);
    /// <paramref name="disableOneDnn"/> turns oneDNN off and says whether it could.
    /// </summary>
    internal static CpuConvolutionStatus Decide(Plan plan, Func<IReadOnlyList<string>> check, Func<bool> disableOneDnn)
    {
        var clock = Stopwatch.StartNew();
        var failures = check();
        var current = plan.LimitIsa ? CpuConvolutionPath.OneDnnSse41 : CpuConvolutionPath.OneDnnNative;
        if (failures.Count == 0) return new CpuConvolutionStatus(current, plan.Reason + "; check passed", failures, clock.Elapsed);
        if (!disableOneDnn())
            throw new InvalidOperationException(
                $"libtorch's CPU convolutions are wrong on this machine ({string.Join("; ", failures)}) and this libtorch build " +
                $"does not let the library turn oneDNN off. Start the process with {IsaVariable}={BaselineIsa} in its environment.");
        var after = check();
        if (after.Count > 0)
            throw new InvalidOperationException(
                $"libtorch's CPU convolutions are wrong on this machine even with oneDNN off ({string.Join("; ", after)}). " +
                "Results would be wrong, so nothing runs; please report the CPU model (lscpu) and these lines.");
        return new CpuConvolutionStatus(CpuConvolutionPath.OneDnnOff,
            $"{current} kernels were wrong on this CPU, so oneDNN is off for this process", failures, clock.Elapsed);
    }

    /// <summary>AMD with AVX-512 (Zen 4, Zen 5): the class where the wrong results were measured.</summary>
    internal static bool IsKnownAffectedCpu() => X86Base.IsSupported && Vendor() == "AuthenticAMD" && Avx512F.IsSupported;

    private static string Vendor()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), edx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    private static string BrandString()
    {
        if (!X86Base.IsSupported || (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax < 0x80000004) return "";
        var bytes = new byte[48];
        for (int i = 0; i < 3; i++)
        {
            var (a, b, c, d) = X86Base.CpuId(unchecked((int)0x80000002) + i, 0);
            foreach (var (value, k) in new[] { (a, 0), (b, 1), (c, 2), (d, 3) }) BitConverter.TryWriteBytes(bytes.AsSpan(i * 16 + k * 4), value);
        }
        return Encoding.ASCII.GetString(bytes).TrimEnd('\0', ' ');
    }

    /// <summary>The verdict file for this CPU model and TorchSharp (so libtorch) version.</summary>
    internal static string VerdictPath(string cacheFolder)
    {
        string identity = $"{Vendor()}|{BrandString()}|{typeof(torch).Assembly.GetName().Version}";
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 8).ToLowerInvariant();
        return Path.Combine(cacheFolder, "cpu-convolutions", key + ".txt");
    }

    private static CpuConvolutionPath? ReadVerdict(string cacheFolder)
    {
        try
        {
            string path = VerdictPath(cacheFolder);
            return File.Exists(path) && Enum.TryParse<CpuConvolutionPath>(File.ReadAllText(path).Trim(), out var v) ? v : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // a missing verdict only costs speed: the check still guards correctness
        }
    }

    private static void WriteVerdict(string cacheFolder, CpuConvolutionPath path)
    {
        try
        {
            string file = VerdictPath(cacheFolder);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, path.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Read-only home: the next process checks again and falls back again.
        }
    }
}
