using Microsoft.ML.OnnxRuntime;

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

    /// <summary>
    /// Whether ONNX Runtime's intra-op worker threads spin while waiting for work (ONNX Runtime's default, true). Spinning
    /// lowers latency on an idle machine; on a machine shared with other busy processes it burns cores they need, so
    /// services that co-host other work may turn it off. Irrelevant with one thread (no workers).
    /// </summary>
    public bool AllowSpinning { get; set; } = true;

    /// <summary>
    /// The ONNX Runtime CPU session options the ONNX-backed transformers use for these settings (all graph optimisations,
    /// sequential execution, the thread count and spinning policy above). For callers that open the exported graphs
    /// with their own <see cref="InferenceSession"/> (e.g. to enable profiling); the caller disposes the result.
    /// </summary>
    public SessionOptions CreateCpuSessionOptions()
    {
        var so = new SessionOptions();
        try
        {
            ApplyTo(so);
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    internal void ApplyTo(SessionOptions so)
    {
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "IntraOpThreads must be 0 (default) or positive.");
        if (IntraOpThreads > 0) so.IntraOpNumThreads = IntraOpThreads;
        // The graphs are chains: nothing runs in parallel across nodes, so sequential execution and a single inter-op
        // thread avoid a second, idle thread pool.
        so.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
        so.InterOpNumThreads = 1;
        so.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
    }
}
