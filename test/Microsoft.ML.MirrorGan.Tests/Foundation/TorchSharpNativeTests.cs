using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

public class TorchSharpNativeTests
{
    [Fact]
    public void Convolution_runs_on_the_native_backend_and_matches_a_hand_computed_value()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        // 1x1x3x3 input 1..9, 2x2 kernel of ones: each output is the sum of a 2x2 window.
        var x = arange(1, 10, dtype: float32).reshape(1, 1, 3, 3);
        var w = ones(1, 1, 2, 2);
        var y = nn.functional.conv2d(x, w);
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.Equal(new[] { 12f, 16f, 24f, 28f }, y.data<float>().ToArray());
    }

    [Fact]
    public void ResolveDevice_rejects_cuda_without_cuda_and_names_the_fix()
    {
        if (cuda.is_available()) return; // the assertion is about CPU-only builds
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("cuda"));
        Assert.Contains("TorchBackend", e.Message);
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice("auto").type);
    }
}
