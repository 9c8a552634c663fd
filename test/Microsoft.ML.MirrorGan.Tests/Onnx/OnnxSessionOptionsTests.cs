using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>The ONNX Runtime settings the ONNX-backed transformers use (README "ONNX export", speed).</summary>
public class OnnxSessionOptionsTests
{
    [Fact]
    public void Cpu_session_options_are_sequential_fully_optimised_with_the_requested_threads()
    {
        using var so = new OnnxSessionOptions { IntraOpThreads = 2, AllowSpinning = false }.CreateCpuSessionOptions();
        Assert.Equal(2, so.IntraOpNumThreads);
        Assert.Equal(1, so.InterOpNumThreads);
        Assert.Equal(ExecutionMode.ORT_SEQUENTIAL, so.ExecutionMode);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_ALL, so.GraphOptimizationLevel);
    }

    [Fact]
    public void Negative_thread_count_is_refused_with_the_option_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxSessionOptions { IntraOpThreads = -1 }.CreateCpuSessionOptions());
        Assert.Contains("IntraOpThreads must be 0 (default) or positive", e.Message);
    }
}
