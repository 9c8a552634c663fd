using Microsoft.ML.MirrorGan.Glam;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

public class MirrorGanNetworkTests
{
    private static GlamNetworkOptions Small(int stages) =>
        new() { Stages = stages, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 6, TextDim = 10 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Generator_with_CA_and_each_stage_discriminator_have_the_documented_shapes(int stages)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var options = Small(stages);
        using var g = new MirrorGanGeneratorNet(options with { NormalizeSentence = true });
        var mask = tensor(new[] { false, false, true, false, false, false }).view(2, 3);
        var gen = g.call(randn(2, 8), randn(2, 10), randn(2, 10, 3), mask);
        Assert.Equal(stages, gen.Output.Images.Count);
        Assert.Equal(stages - 1, gen.Output.Attention.Count);
        for (int s = 0; s < stages; s++)
        {
            long side = 64L << s;
            Assert.Equal(new[] { 2L, 3, side, side }, gen.Output.Images[s].shape);
            using var d = new GlamDiscriminator((int)side, options.DiscriminatorDim, options.TextDim);
            var features = d.call(gen.Output.Images[s]);
            Assert.Equal(new[] { 2L, 8L * options.DiscriminatorDim, 4, 4 }, features.shape);
            var uncond = d.Unconditional(features);
            var cond = d.Conditional(features, randn(2, 10));
            Assert.Equal(new[] { 2L }, uncond.shape);
            Assert.Equal(new[] { 2L }, cond.shape);
            Assert.True(uncond.isfinite().all().item<bool>() && cond.isfinite().all().item<bool>()); // logits
        }
        for (int s = 1; s < stages; s++)
        {
            var map = gen.Output.Attention[s - 1];
            long side = 64L << (s - 1);
            Assert.Equal(new[] { 2L, 3, side, side }, map.shape);
            Assert.True(map.sum(1).allclose(ones(2, side, side), 1e-5, 1e-5));   // rows sum to 1 over words
            Assert.Equal(0f, map[0, 2].abs().max().item<float>());               // caption 0's padding word gets 0
        }
        Assert.Equal(new[] { 2L, 6 }, gen.Mu.shape);
        Assert.Equal(new[] { 2L, 6 }, gen.LogVar.shape);
    }

    [Fact]
    public void Sentence_standardisation_centres_and_scales_each_dimension_and_floors_a_constant_one()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var g = new MirrorGanGeneratorNet(Small(1) with { NormalizeSentence = false, StandardizeSentence = true });
        // Dimension i: mean i, std ~(i + 1)/10; dimension 9 is constant.
        var rows = randn(200, 10) * (arange(10, ScalarType.Float32) + 1) / 10 + arange(10, ScalarType.Float32);
        rows[TensorIndex.Colon, 9] = full(200, 5f);
        var list = Enumerable.Range(0, 200).Select(i => rows[i].data<float>().ToArray()).ToList();
        var before = g.PrepareSentence(rows);
        Assert.True(before.equal(rows).all().item<bool>()); // identity until statistics are set
        g.SetSentenceStatistics(list);
        var prepared = g.PrepareSentence(rows);
        Assert.True(prepared[TensorIndex.Colon, ..9].mean(new long[] { 0 }).abs().max().item<float>() < 1e-4);
        Assert.True((prepared[TensorIndex.Colon, ..9].std(0) - 1).abs().max().item<float>() < 1e-3);
        Assert.Equal(0f, prepared[TensorIndex.Colon, 9].abs().max().item<float>(), 4); // constant: centred, not blown up
        Assert.True(g.state_dict().ContainsKey("sentence_mean"));

        using var plain = new MirrorGanGeneratorNet(Small(1) with { NormalizeSentence = false });
        Assert.False(plain.state_dict().ContainsKey("sentence_mean")); // models saved before the option still load strictly
        var e = Assert.Throws<InvalidOperationException>(() => plain.SetSentenceStatistics(list));
        Assert.Contains("without sentence standardisation", e.Message);
    }

    [Fact]
    public void Sentence_attention_is_a_softmax_over_channels_at_every_pixel()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var att = new SentenceAttention(5, 4);
        var h = randn(2, 5, 6, 6);
        var c = randn(2, 4);
        var context = att.call(h, c);
        // context = s′ ⊙ a with a = softmax over channels: dividing by s′ gives a, whose channel sums are 1.
        var linear = (TorchSharp.Modules.Linear)att.named_children().First(x => x.name == "linear").module;
        var s = linear.call(c).view(2, 5, 1, 1);
        var a = context / s;
        Assert.True(a.sum(1).allclose(ones(2, 6, 6), 1e-4, 1e-4));
        Assert.True(a.min().item<float>() > 0);
    }

    [Fact]
    public void Generation_with_the_same_noise_is_deterministic_and_differs_across_seeds()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var g = new MirrorGanGeneratorNet(Small(2) with { NormalizeSentence = false });
        g.eval();
        var (z1, e1) = MirrorGanTransformer.SeededNoise(new[] { 7, 7, 8 }, 8, 6);
        Assert.True(z1[0].equal(z1[1]).all().item<bool>());
        Assert.False(z1[0].allclose(z1[2]));
        var sentence = randn(1, 10).expand(3, 10);
        var words = randn(1, 10, 3).expand(3, 10, 3);
        using var noGrad = no_grad();
        var img = g.Generate(z1, e1, sentence, words, null).Output.Images[^1];
        Assert.True(img[0].allclose(img[1], 1e-6, 1e-6));
        Assert.False(img[0].allclose(img[2], 1e-3, 1e-3));
    }
}
