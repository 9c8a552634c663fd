using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.StreamCaptioner;

public class StreamNetworkTests
{
    private const int Vocab = 11, Embed = 16, Hidden = 24;

    private static StreamCaptionNet Net(int seed = 3)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(seed);
        var net = new StreamCaptionNet(new SmallCnnBackbone(16, 4), Vocab, Embed, Hidden);
        net.eval();
        return net;
    }

    private static Tensor Tokens() => torch.tensor(new long[] { 3, 4, 5, 2, 6, 0, 0, 0, 7, 8, 9, 10 }, new long[] { 3, 4 });

    [Fact]
    public void Every_output_has_the_documented_shape()
    {
        using var scope = NewDisposeScope();
        var net = Net();
        var images = torch.rand(3, 3, 40, 40) * 2 - 1; // any size: the trunk resizes
        var features = net.call(images);
        Assert.Equal(new long[] { 3, Embed }, features.shape);
        var logits = net.Decoder.TeacherForced(features, Tokens());
        Assert.Equal(new long[] { 3, 5, Vocab }, logits.shape);
        var (logProbs, (h, c)) = net.Decoder.Step(features, null);
        Assert.Equal(new long[] { 3, Vocab }, logProbs.shape);
        Assert.Equal(new long[] { 1, 3, Hidden }, h.shape);
        Assert.Equal(new long[] { 1, 3, Hidden }, c.shape);
        var loss = net.Loss(images, Tokens(), new long[] { 4, 2, 4 });
        Assert.Equal(0, loss.dim());
        var gridNet = new StreamCaptionNet(new SmallCnnBackbone(16, 4), Vocab, Embed, Hidden, regionGrid: 2);
        gridNet.eval();
        Assert.Equal(new long[] { 3, Embed }, gridNet.call(images).shape); // pooled regions joined to the global feature
        var greedy = CaptionDecoder.Greedy(net.Decoder, features, 5);
        Assert.Equal(3, greedy.Length);
        Assert.All(greedy, g => Assert.True(g.Ids.Length <= 5 && g.Ids.All(i => i > 0 && i < Vocab)));
    }

    [Fact]
    public void Teacher_forcing_matches_step_by_step_decoding()
    {
        using var scope = NewDisposeScope();
        var net = Net();
        using var noGrad = torch.no_grad();
        var features = net.call(torch.rand(3, 3, 16, 16) * 2 - 1);
        var tokens = Tokens();
        var teacher = nn.functional.log_softmax(net.Decoder.TeacherForced(features, tokens), 2);
        (Tensor, Tensor)? state = null;
        var input = features;
        for (int t = 0; t <= 4; t++)
        {
            var (lp, next) = net.Decoder.Step(input, state);
            state = next;
            Assert.True(torch.allclose(teacher.select(1, t), lp, rtol: 1e-4, atol: 1e-5), $"step {t} differs");
            if (t < 4) input = net.Decoder.Embed(tokens.select(1, t));
        }
    }

    [Fact]
    public void Masked_loss_equals_cross_entropy_over_the_real_tokens_only()
    {
        using var scope = NewDisposeScope();
        var net = Net();
        using var noGrad = torch.no_grad();
        var images = torch.rand(3, 3, 16, 16) * 2 - 1;
        var lengths = new long[] { 4, 2, 4 };
        var logits = nn.functional.log_softmax(net.Decoder.TeacherForced(net.call(images), Tokens()), 2);
        var tok = Tokens().data<long>().ToArray();
        double sum = 0;
        int n = 0;
        for (int b = 0; b < 3; b++)
            for (int t = 0; t <= lengths[b]; t++)
            {
                long target = t < lengths[b] ? tok[b * 4 + t] : 0; // the step after the last word predicts <end>
                sum -= logits[b, t, target].item<float>();
                n++;
            }
        Assert.Equal(sum / n, net.Loss(images, Tokens(), lengths).item<float>(), 4);
    }

    [Fact]
    public void Beam_width_one_equals_greedy()
    {
        using var scope = NewDisposeScope();
        var net = Net(seed: 5);
        var features = net.call(torch.rand(4, 3, 16, 16) * 2 - 1);
        var greedy = CaptionDecoder.Greedy(net.Decoder, features, 6);
        for (int i = 0; i < 4; i++)
        {
            var beam = CaptionDecoder.Beam(net.Decoder, features[i], 1, 6);
            Assert.Equal(greedy[i].Ids, beam.Ids);
            Assert.Equal(greedy[i].LogProbability, beam.LogProbability, 4);
            Assert.Equal(greedy[i].Finished, beam.Finished);
        }
    }

    [Fact]
    public void Wider_beam_never_scores_below_greedy()
    {
        using var scope = NewDisposeScope();
        var net = Net(seed: 9);
        var features = net.call(torch.rand(4, 3, 16, 16) * 2 - 1);
        var greedy = CaptionDecoder.Greedy(net.Decoder, features, 6);
        for (int i = 0; i < 4; i++)
        {
            var beam = CaptionDecoder.Beam(net.Decoder, features[i], 4, 6);
            // Complete captions compete with complete ones; greedy's caption is one of beam 4's candidates.
            if (greedy[i].Finished) Assert.True(beam.LogProbability >= greedy[i].LogProbability - 1e-4);
        }
    }

    [Fact]
    public void Caption_loss_sends_gradients_to_the_images_only()
    {
        using var scope = NewDisposeScope();
        var net = Net();
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var loss = new StreamCaptionLoss(net, Microsoft.ML.MirrorGan.Text.Vocabulary.Build(new[] { "a b c d e f g h i" }));
        var images = (torch.rand(3, 3, 24, 24) * 2 - 1).requires_grad_(true);
        var value = loss.Compute(images, Tokens(), new long[] { 4, 2, 4 });
        value.backward();
        Assert.NotNull(images.grad);
        Assert.True(images.grad!.abs().sum().item<float>() > 0);
        Assert.All(net.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(net.parameters(), p => Assert.True(p.grad is null));
        // A generator step would update the images; the captioner (weights and BN statistics) must not change.
        using (torch.no_grad()) images.sub_(images.grad! * 0.1);
        loss.Compute(images, Tokens(), new long[] { 4, 2, 4 });
        foreach (var (name, t) in net.state_dict())
            Assert.True(torch.allclose(before[name].to_type(ScalarType.Float64), t.to_type(ScalarType.Float64), 0, 0), $"{name} changed");
    }
}

public class StreamDecodingLimitTests
{
    [Fact]
    public void Beam_width_one_equals_greedy_when_captions_hit_the_length_limit()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        TorchRuntime.EnsureLoaded();
        for (int seed = 0; seed < 6; seed++)
        {
            TorchSharp.torch.manual_seed(seed);
            var net = new StreamCaptionNet(new Microsoft.ML.MirrorGan.Backbones.SmallCnnBackbone(16, 4), 7, 8, 8);
            net.eval();
            var features = net.call(TorchSharp.torch.rand(3, 3, 16, 16) * 2 - 1);
            var greedy = CaptionDecoder.Greedy(net.Decoder, features, 2); // short limit: some captions end unfinished
            for (int i = 0; i < 3; i++)
            {
                var beam = CaptionDecoder.Beam(net.Decoder, features[i], 1, 2);
                Assert.Equal(greedy[i].Ids, beam.Ids);
                Assert.Equal(greedy[i].Finished, beam.Finished);
                Assert.Equal(greedy[i].LogProbability, beam.LogProbability, 4);
            }
        }
    }
}
