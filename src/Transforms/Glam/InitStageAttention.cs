using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Word and sentence attention inside the first stage, at 16 px (after its second up-block): [h, word context,
/// sentence context] → conv1x1 (3C → C) → residual block, same channels in and out, so the remaining up-blocks are
/// unchanged. Not in the paper (its first stage sees only c_code and z); with a single 64-px stage it is the only place
/// the generator can read individual words (a small AttnGAN-style reference model measured on these CPUs had such a block). On in the tiny
/// preset (Shapes: R-precision 0.84 → 0.92 once the text encoder separates the attributes; README), off in the paper presets.
/// </summary>
internal sealed class InitStageAttention : nn.Module<Tensor, Tensor, Tensor, Tensor?, (Tensor H, Tensor Attention)>
{
    private readonly WordAttention att;
    private readonly SentenceAttention sent_att;
    private readonly Conv2d fuse;
    private readonly ResBlock residual;

    public InitStageAttention(int channels, int wordDim, int conditionDim, bool reproduceMaskBug) : base(nameof(InitStageAttention))
    {
        att = new WordAttention(channels, wordDim, reproduceMaskBug);
        sent_att = new SentenceAttention(channels, conditionDim);
        fuse = GlamBlocks.Conv1x1(channels * 3L, channels);
        residual = new ResBlock(channels);
        RegisterComponents();
    }

    /// <param name="h">B×C×S×S features.</param>
    /// <param name="cCode">B×conditionDim CA sample.</param>
    /// <param name="words">B×D×L word features.</param>
    /// <param name="padMask">B×L, true at padding words (null: none).</param>
    /// <returns>B×C×S×S features and the B×L×S×S word-attention map.</returns>
    public override (Tensor H, Tensor Attention) forward(Tensor h, Tensor cCode, Tensor words, Tensor? padMask)
    {
        var (wordContext, map) = att.call(h, words, padMask);
        var sentenceContext = sent_att.call(h, cCode);
        var x = fuse.call(torch.cat(new[] { h, wordContext, sentenceContext }, 1));
        return (residual.call(x), map);
    }
}
