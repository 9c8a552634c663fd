using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class ConditioningAugmentationTests
{
    [Fact]
    public void Shapes_and_KL_match_the_definition()
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(3);
        var ca = new ConditioningAugmentation(8, 5);
        using var scope = NewDisposeScope();
        var (code, mu, logVar) = ca.call(torch.randn(4, 8));
        Assert.Equal(new long[] { 4, 5 }, code.shape);
        Assert.Equal(new long[] { 4, 5 }, mu.shape);
        Assert.Equal(new long[] { 4, 5 }, logVar.shape);
        // KL(N(μ, σ²) ‖ N(0, 1)) per element = ½(μ² + σ² − 1 − log σ²), averaged: μ = 1, log σ² = 0 gives 0.5.
        Assert.Equal(0.0, ConditioningAugmentation.KlLoss(torch.zeros(2, 3), torch.zeros(2, 3)).item<float>(), 6);
        Assert.Equal(0.5, ConditioningAugmentation.KlLoss(torch.ones(2, 3), torch.zeros(2, 3)).item<float>(), 6);
        double lv = Math.Log(4);
        Assert.Equal(0.5 * (4 - 1 - lv), ConditioningAugmentation.KlLoss(torch.zeros(1, 1), torch.full(1, 1, lv)).item<float>(), 5);
    }
}
