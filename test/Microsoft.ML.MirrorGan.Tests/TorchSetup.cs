using System.Runtime.CompilerServices;

namespace Microsoft.ML.MirrorGan.Tests;

/// <summary>
/// Loads libtorch through the library before any test runs, as every process that uses the library does: several tests
/// call TorchSharp directly (reference convolutions, exporter parity), and libtorch must not run an operation before
/// <see cref="TorchRuntime.EnsureLoaded"/> has chosen the CPU convolution kernels (see CpuConvolutionGuard).
/// </summary>
internal static class TorchSetup
{
    [ModuleInitializer]
    internal static void Load() => TorchRuntime.EnsureLoaded();
}
