using System.Runtime.CompilerServices;

namespace Microsoft.ML.MirrorGan.Tests;

/// <summary>
/// Loads libtorch through the library before any test runs, as every process that uses the library does: several tests
/// call TorchSharp directly (reference convolutions, exporter parity), and libtorch must not run an operation before
/// <see cref="TorchRuntime.EnsureLoaded"/> has chosen the CPU convolution kernels (see CpuConvolutionGuard).
/// Then one intra-op thread for every test, as the child-process hosts use: the round-trip tests compare images from
/// this process and a fresh one bit for bit, and oneDNN's SSE4.1 kernels (the guard's choice on AMD AVX-512 hosts) sum
/// in a thread-count-dependent order, so a test that ran after one that changed the thread count saw 1e-6 differences.
/// Tests that need another count set it and restore it.
/// </summary>
internal static class TorchSetup
{
    [ModuleInitializer]
    internal static void Load()
    {
        TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(1);
    }
}
