using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class TextEncoderPackingTests
{
    [Fact]
    public void Mixed_length_batch_equals_each_caption_alone()
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(5);
        var encoder = new TextEncoder(20, 6, 5);
        encoder.eval();
        var captions = new[] { new[] { 3, 4, 5, 6, 7 }, new[] { 8, 9 }, new[] { 1, 2, 3, 4, 5, 6, 7 }, new[] { 11 } };
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (ids, lengths) = CaptionBatch.ToTensors(captions);
        var (words, sentence) = encoder.call(ids, lengths);
        Assert.Equal(new long[] { 4, 10, 7 }, words.shape);
        for (int i = 0; i < captions.Length; i++)
        {
            var (ids1, len1) = CaptionBatch.ToTensors(new[] { captions[i] });
            var (w1, s1) = encoder.call(ids1, len1);
            int n = captions[i].Length;
            Assert.True(sentence[i].allclose(s1[0], rtol: 0, atol: 1e-5), $"sentence feature of caption {i}");
            Assert.True(words[i].narrow(1, 0, n).allclose(w1[0], rtol: 0, atol: 1e-5), $"word features of caption {i}");
            if (n < 7) Assert.Equal(0.0, words[i].narrow(1, n, 7 - n).abs().max().item<float>());
            // Packing: the forward final state is at the last real word, the backward one at the first word.
            Assert.True(sentence[i].narrow(0, 0, 5).allclose(words[i, .., n - 1].narrow(0, 0, 5), rtol: 0, atol: 1e-6));
            Assert.True(sentence[i].narrow(0, 5, 5).allclose(words[i, .., 0].narrow(0, 5, 5), rtol: 0, atol: 1e-6));
        }
    }
}
