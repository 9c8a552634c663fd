using Microsoft.ML.MirrorGan.Glam;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

public class GlamNetworkTests
{
    private static long Params(TorchSharp.torch.nn.Module m) => m.parameters().Sum(p => p.numel());

    [Fact]
    public void Cub_generator_has_the_original_parameter_count()
    {
        // Spec §3: G_NET with GF 32, R_NUM 2 has 7,105,392 parameters, of which CA_NET is 102,800.
        using var g = new GlamGenerator(new GlamNetworkOptions());
        Assert.Equal(7_105_392 - 102_800, Params(g));
    }

    [Theory]
    [InlineData(64, 6_313_730)]
    [InlineData(128, 19_424_002)]
    public void Cub_discriminators_have_the_original_parameter_counts(int size, long expected)
    {
        using var d = new GlamDiscriminator(size, 64, 256);
        Assert.Equal(expected, Params(d));
    }

    [Fact]
    public void Tiny_cascade_produces_images_and_attention_maps_of_each_stage()
    {
        using var scope = NewDisposeScope();
        var options = new GlamNetworkOptions { Stages = 3, GeneratorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 6, TextDim = 10 };
        using var g = new GlamGenerator(options);
        g.eval();
        var words = randn(2, 10, 5);
        var mask = tensor(new[] { false, false, false, true, true, false, false, false, false, false }).view(2, 5);
        var output = g.call(randn(2, 8), randn(2, 6), words, mask);
        Assert.Equal(new[] { 64L, 128, 256 }, output.Images.Select(i => i.shape[2]));
        Assert.All(output.Images, i => Assert.Equal(new long[] { 2, 3 }, i.shape[..2]));
        Assert.All(output.Images, i => Assert.InRange(i.abs().max().item<float>(), 0f, 1f));
        Assert.Equal(new long[] { 2, 5, 64, 64 }, output.Attention[0].shape);
        Assert.Equal(new long[] { 2, 5, 128, 128 }, output.Attention[1].shape);
        // Attention sums to one over words; caption 0's padding words get none.
        Assert.True(output.Attention[0].sum(1).allclose(ones(2, 64, 64), 1e-5, 1e-5));
        Assert.Equal(0f, output.Attention[0][0, 3..5].abs().max().item<float>());
    }

    [Fact]
    public void Init_stage_attention_reads_words_at_16_px_and_keeps_the_image_shapes()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var options = new GlamNetworkOptions { Stages = 1, GeneratorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 6, TextDim = 10, InitStageAttention = true };
        using var g = new GlamGenerator(options);
        g.eval();
        var words = randn(2, 10, 5);
        var mask = tensor(new[] { false, false, false, true, true, false, false, false, false, false }).view(2, 5);
        var z = randn(2, 8);
        var code = randn(2, 6);
        var output = g.call(z, code, words, mask);
        Assert.Equal(new long[] { 2, 3, 64, 64 }, output.Images[0].shape);
        Assert.Empty(output.Attention);
        Assert.NotNull(output.InitAttention);
        var map = output.InitAttention!;
        Assert.Equal(new long[] { 2, 5, 16, 16 }, map.shape);
        // Every pixel's attention sums to one over words; caption 0's two padding words get exactly none.
        Assert.True(map.sum(1).allclose(ones(2, 16, 16), 1e-5, 1e-5));
        Assert.Equal(0f, map[0, 3..5].abs().max().item<float>());
        Assert.True(map[1, 3..5].min().item<float>() > 0f);
        // The image depends on the words now (it did not with a plain first stage).
        var other = g.call(z, code, words + randn(2, 10, 5), mask);
        Assert.True((other.Images[0] - output.Images[0]).abs().max().item<float>() > 1e-4f);
        // The block adds parameters under h_net1.attention; the up-blocks keep their names and sizes.
        using var plain = new GlamGenerator(options with { InitStageAttention = false });
        var withNames = g.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var plainNames = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.All(plainNames, p => Assert.Equal(p.Value, withNames[p.Key]));
        Assert.All(withNames.Keys.Except(plainNames.Keys), n => Assert.StartsWith("h_net1.attention.", n));
        Assert.Null(plain.call(z, code, words, mask).InitAttention);
    }

    [Fact]
    public void Paper_presets_keep_the_first_stage_without_attention_and_tiny_adds_it()
    {
        // The paper's first stage has no word attention; the tiny preset, with one stage only, needs it to see the words
        // (README, "the main job's numbers"), and standardises the sentence.
        Assert.True(MirrorGanTrainerOptions.Tiny().Network.InitStageAttention);
        Assert.True(MirrorGanTrainerOptions.Tiny().Network.StandardizeSentence);
        Assert.False(MirrorGanTrainerOptions.Cub().Network.StandardizeSentence);
        Assert.Equal(64, MirrorGanTrainerOptions.Tiny().EmaBatchNormBatches);
        Assert.Equal(0, MirrorGanTrainerOptions.Cub().EmaBatchNormBatches); // the original keeps the live G's statistics
        Assert.False(MirrorGanTrainerOptions.Cub().Network.InitStageAttention);
        Assert.False(MirrorGanTrainerOptions.Coco().Network.InitStageAttention);
        Assert.False(new GlamNetworkOptions().InitStageAttention);
    }

    [Fact]
    public void Mask_bug_option_reproduces_the_batch_fastest_tiling()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var fixedAttention = new WordAttention(3, 4, reproduceMaskBug: false);
        manual_seed(1);
        var buggy = new WordAttention(3, 4, reproduceMaskBug: true);
        var h = randn(2, 3, 1, 3);      // B=2, Q=3 pixels
        var words = randn(2, 4, 3);     // L=3
        var mask = tensor(new[] { false, false, true, false, false, false }).view(2, 3); // caption 0 pads word 2
        var (_, good) = fixedAttention.call(h, words, mask);
        var (_, bad) = buggy.call(h, words, mask);
        // Row (b, q) of the buggy version uses caption ((b·Q + q) mod B)'s mask.
        for (int b = 0; b < 2; b++)
            for (int q = 0; q < 3; q++)
            {
                bool ownPadded = b == 0;
                bool bugPadded = (b * 3 + q) % 2 == 0;
                Assert.Equal(ownPadded, good[b, 2, 0, q].item<float>() == 0f);
                Assert.Equal(bugPadded, bad[b, 2, 0, q].item<float>() == 0f);
            }
    }

    [Fact]
    public void Sentence_attention_softmax_runs_over_channels()
    {
        using var scope = NewDisposeScope();
        var sa = new SentenceAttention(channels: 4, conditionDim: 3);
        var c = randn(2, 3);
        var h = randn(2, 4, 5, 5);
        var context = sa.call(h, c);
        Assert.Equal(new long[] { 2, 4, 5, 5 }, context.shape);
        // context = s′ ⊙ softmax_channels(...): dividing by s′ leaves maps that sum to 1 over channels.
        var named = sa.named_children().ToDictionary(x => x.name, x => x.module);
        var s = ((TorchSharp.Modules.Linear)named["linear"]).call(c).view(2, 4, 1, 1);
        Assert.True((context / s).sum(1).allclose(ones(2, 5, 5), 1e-4, 1e-4));
    }
}
