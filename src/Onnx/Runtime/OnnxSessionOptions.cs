namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>How the ONNX-backed transformers create their ONNX Runtime sessions.</summary>
public sealed class OnnxSessionOptions
{
    /// <summary>
    /// CUDA device to run on, or null for the CPU (default). CUDA needs the <c>Microsoft.ML.OnnxRuntime.Gpu</c> native
    /// package in the application (<c>-p:OnnxRuntimeBackend=gpu</c>) and the CUDA 13 libraries on the machine.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>
    /// With <see cref="GpuDeviceId"/> set: when CUDA cannot be used (CPU-only package, no driver, no libraries), run on
    /// the CPU and log a warning (true, default), or throw <see cref="InvalidOperationException"/> (false).
    /// </summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>Threads per inference on the CPU (0: ONNX Runtime's default, one per core).</summary>
    public int IntraOpThreads { get; set; }
}
