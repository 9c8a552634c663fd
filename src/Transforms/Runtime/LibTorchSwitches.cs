using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// The few process-wide libtorch switches that TorchSharp 0.107 does not expose (PyTorch's
/// <c>torch.backends.mkldnn.enabled</c> and <c>torch.backends.nnpack.enabled</c>), and the native environment
/// variable oneDNN reads for its instruction-set limit. Found by symbol in <c>libtorch_cpu</c>; every member returns
/// false instead of throwing when a symbol is missing (another libtorch build or platform), so callers can say so.
/// </summary>
internal static class LibTorchSwitches
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate IntPtr GlobalContextFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void SetFlagFn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool value);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] [return: MarshalAs(UnmanagedType.U1)] private delegate bool AvailableFn();

    // Itanium (Linux, macOS) and MSVC (Windows) manglings of at::globalContext() and the Context members used here.
    private static readonly string[] GlobalContextNames = { "_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ" };
    private static readonly string[] SetMkldnnNames = { "_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z" };
    private static readonly string[] SetNnpackNames = { "_ZN2at7Context20setUserEnabledNNPACKEb", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z" };
    private static readonly string[] NnpackAvailableNames = { "_ZN2at6native17_nnpack_availableEv", "?_nnpack_available@native@at@@YA_NXZ" };

    private static IntPtr _library;

    private static IntPtr Library()
    {
        if (_library != IntPtr.Zero) return _library;
        // By name relative to TorchSharp, as TorchSharp loads it: this returns the handle of the copy already mapped.
        if (!NativeLibrary.TryLoad("torch_cpu", typeof(torch).Assembly, null, out _library)) _library = IntPtr.Zero;
        return _library;
    }

    private static T? Export<T>(string[] names) where T : Delegate
    {
        IntPtr lib = Library();
        if (lib == IntPtr.Zero) return null;
        foreach (string name in names)
            if (NativeLibrary.TryGetExport(lib, name, out IntPtr address)) return Marshal.GetDelegateForFunctionPointer<T>(address);
        return null;
    }

    private static IntPtr Context() => Export<GlobalContextFn>(GlobalContextNames) is { } f ? f() : IntPtr.Zero;

    /// <summary>Turns libtorch's oneDNN (MKL-DNN) kernels on or off for every later operation; false when unavailable.</summary>
    public static bool TrySetOneDnnEnabled(bool enabled)
    {
        var set = Export<SetFlagFn>(SetMkldnnNames);
        IntPtr context = Context();
        if (set is null || context == IntPtr.Zero) return false;
        set(context, enabled);
        return true;
    }

    /// <summary>
    /// Turns NNPACK off where it cannot start. Why: on CPUs NNPACK does not support, libtorch asks it again before every
    /// eligible convolution and logs "Could not initialize NNPACK! Reason: Unsupported hardware." each time (ten lines
    /// per generated image). Asking once here logs it at most once. Returns true when NNPACK was turned off.
    /// </summary>
    public static bool DisableNnpackWhereUnavailable()
    {
        var available = Export<AvailableFn>(NnpackAvailableNames);
        var set = Export<SetFlagFn>(SetNnpackNames);
        IntPtr context = Context();
        if (available is null || set is null || context == IntPtr.Zero || available()) return false;
        set(context, false);
        return true;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnvPosix([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>
    /// Sets a variable in the native environment, where libtorch's C++ code reads it. Why not only
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/>: on Linux and macOS .NET keeps its own copy and
    /// never calls <c>setenv</c>, so <c>getenv</c> in native code would not see it (on Windows both read the process block).
    /// </summary>
    public static void SetNativeEnvironmentVariable(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows()) SetEnvPosix(name, value, 1);
    }
}
