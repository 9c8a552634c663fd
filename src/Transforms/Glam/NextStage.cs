using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// A refinement stage (NEXT_STAGE_G with GLAM): word and sentence attention on the previous stage's features,
/// fusion [h, word context, sentence context] → conv1x1 → residual blocks → up-block (side ×2).
/// </summary>
internal sealed class NextStage : nn.Module<Tensor, Tensor, Tensor, Tensor?, (Tensor H, Tensor Attention)>
{
    private readonly WordAttention att;
    private readonly SentenceAttention sent_att;
    private readonly Conv2d fuse;
    private readonly Sequential residual;
    private readonly Sequential upsample;

    public NextStage(int ngf, int wordDim, int conditionDim, int residualBlocks, bool reproduceMaskBug) : base(nameof(NextStage))
    {
        att = new WordAttention(ngf, wordDim, reproduceMaskBug);
        sent_att = new SentenceAttention(ngf, conditionDim);
        fuse = GlamBlocks.Conv1x1(ngf * 3, ngf * 2);
        residual = nn.Sequential(Enumerable.Range(0, residualBlocks).Select(i => ($"res{i}", (nn.Module<Tensor, Tensor>)new ResBlock(ngf * 2))).ToArray());
        upsample = GlamBlocks.UpBlock(ngf * 2, ngf);
        RegisterComponents();
    }

    public override (Tensor H, Tensor Attention) forward(Tensor h, Tensor cCode, Tensor words, Tensor? padMask)
    {
        var (wordContext, map) = att.call(h, words, padMask);
        var sentenceContext = sent_att.call(h, cCode);
        var x = fuse.call(torch.cat(new[] { h, wordContext, sentenceContext }, 1));
        return (upsample.call(residual.call(x)), map);
    }
}
