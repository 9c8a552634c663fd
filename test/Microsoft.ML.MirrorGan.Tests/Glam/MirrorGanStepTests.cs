using Microsoft.ML.MirrorGan.Glam;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

[Collection("Glam trainer")]
public class MirrorGanStepTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public MirrorGanStepTests(GlamFixture fixture) => _f = fixture;

    private static List<Tensor> Snapshot(nn.Module m) => m.parameters().Select(p => p.detach().clone()).ToList();

    private static bool Changed(nn.Module m, List<Tensor> before) =>
        m.parameters().Zip(before).Any(x => !x.First.detach().allclose(x.Second, 0, 0));

    private static bool AllChanged(nn.Module m, List<Tensor> before) =>
        m.parameters().Zip(before).Count(x => !x.First.detach().allclose(x.Second, 0, 0)) > m.parameters().Count() / 2;

    /// <summary>A two-stage tiny G, its two Ds, a step with λ = 20 and a two-caption batch.</summary>
    private (GlamStep Step, GlamBatch Batch, MirrorGanGeneratorNet G, GlamDiscriminator[] Ds, ParameterEma Ema, OptimizerHelper GOpt, List<OptimizerHelper> DOpts) Build()
    {
        manual_seed(1);
        var net = new GlamNetworkOptions { Stages = 2, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8, TextDim = _f.TextEmbed.FeatureSize };
        var g = new MirrorGanGeneratorNet(net with { NormalizeSentence = true });
        var ds = new[] { new GlamDiscriminator(64, 4, net.TextDim), new GlamDiscriminator(128, 4, net.TextDim) };
        var ema = new ParameterEma(g, 0.9);
        var gOpt = optim.Adam(g.parameters(), 1e-3, 0.5, 0.999);
        var dOpts = ds.Select(d => (OptimizerHelper)optim.Adam(d.parameters(), 1e-3, 0.5, 0.999)).ToList();
        var state = new GlamTrainingState(g, ema, ds, gOpt, dOpts);
        var step = new GlamStep(state, _f.Captioner.CreateCaptionLoss(), 20, 0.02);
        var words = _f.TextEmbed.EncodeCaptions(new[] { "a red circle", "a small blue square on the left" });
        int d = net.TextDim, w = _f.TextEmbed.MaxWords, l = words.WordCounts.Max();
        var wf = new float[2 * d * l];
        for (int i = 0; i < 2; i++) for (int f = 0; f < d; f++) for (int t = 0; t < l; t++) wf[(i * d + f) * l + t] = words.WordFeatures[1 - i][f * w + t];
        var ids = _f.TextEmbed.Vocabulary;
        var tok0 = _f.TextEmbed.ToWordIds("a small blue square on the left", out _, out _);
        var tok1 = _f.TextEmbed.ToWordIds("a red circle", out _, out _);
        var tokens = new long[2 * l];
        for (int t = 0; t < tok0.Length; t++) tokens[t] = tok0[t];
        for (int t = 0; t < tok1.Length; t++) tokens[l + t] = tok1[t];
        var batch = new GlamBatch(rand(2, 3, 128, 128) * 2 - 1, tensor(wf, new long[] { 2, d, l }),
            tensor(Enumerable.Range(0, 2 * l).Select(k => k / l == 1 && k % l >= tok1.Length).ToArray(), new long[] { 2, l }),
            tensor(words.SentenceFeatures[1].Concat(words.SentenceFeatures[0]).ToArray(), new long[] { 2, d }),
            tensor(tokens, new long[] { 2, l }), new long[] { tok0.Length, tok1.Length });
        return (step, batch, g, ds, ema, gOpt, dOpts);
    }

    [Fact]
    public void A_D_step_changes_only_D_and_a_G_step_changes_only_G()
    {
        using var scope = NewDisposeScope();
        var (step, batch, g, ds, ema, gOpt, dOpts) = Build();
        using var emaScope = ema;
        var captioner = Snapshot(_f.Captioner.Network);

        var forward = step.Forward(batch);
        var g0 = Snapshot(g);
        var d0 = ds.Select(Snapshot).ToList();
        var dLoss = step.UpdateDiscriminators(forward, batch, 0);
        Assert.Equal(2, dLoss.Length);
        Assert.False(Changed(g, g0));
        for (int i = 0; i < 2; i++) Assert.True(AllChanged(ds[i], d0[i]));

        var d1 = ds.Select(Snapshot).ToList();
        var averages0 = ema.Averages.Select(a => a.clone()).ToList();
        var losses = step.UpdateGenerator(forward, batch, 0);
        Assert.True(losses.Stream > 0 && losses.Adversarial > 0);
        Assert.True(AllChanged(g, g0));
        for (int i = 0; i < 2; i++) Assert.False(Changed(ds[i], d1[i]));
        Assert.False(Changed(_f.Captioner.Network, captioner));
        // EMA moved a tenth of the way (decay 0.9) from the old average towards the new weights.
        var live = g.parameters().First().detach();
        Assert.True(ema.Averages[0].allclose(averages0[0] * 0.9 + live * 0.1, 1e-6, 1e-6));
        foreach (var o in dOpts) o.Dispose();
        gOpt.Dispose();
    }

    [Fact]
    public void A_NaN_logit_from_a_discriminator_surfaces_as_a_non_finite_D_loss_not_a_native_error()
    {
        using var scope = NewDisposeScope();
        var (step, batch, _, ds, ema, gOpt, dOpts) = Build();
        using var emaScope = ema;
        // What the oneDNN bug did: a NaN reaches the discriminator's logits. Before the heads returned logits,
        // libtorch's BCE threw "all elements of input should be between 0 and 1" from native code here.
        using (no_grad()) ds[0].named_parameters().First(p => p.name.StartsWith("uncond_logits", StringComparison.Ordinal)).parameter.fill_(float.NaN);
        var forward = step.Forward(batch);
        var e = Assert.Throws<NonFiniteLossException>(() => step.UpdateDiscriminators(forward, batch, 7));
        Assert.Equal("D0", e.Term);
        Assert.Equal(7, e.Iteration);
        Assert.True(double.IsNaN(e.Value));
        foreach (var o in dOpts) o.Dispose();
        gOpt.Dispose();
    }
}
