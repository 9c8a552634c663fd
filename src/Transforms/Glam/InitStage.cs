using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Stage 1 (INIT_STAGE_G): [c_code ‖ z] → Linear (no bias) → BatchNorm1d → GLU → 16·ngf×4×4 → four up-blocks
/// → ngf×64×64 (docs/paper-fidelity.md). With <see cref="GlamNetworkOptions.InitStageAttention"/> an <see cref="InitStageAttention"/>
/// block runs on the 4·ngf×16×16 features between the second and third up-block (child <c>attention</c>; the up-blocks keep
/// their names and sizes, so checkpoints without it still load).
/// </summary>
internal sealed class InitStage : nn.Module<Tensor, Tensor, Tensor, Tensor?, (Tensor H, Tensor? Attention)>
{
    private readonly long _channels;
    private readonly Sequential fc;
    private readonly Sequential upsample;
    private readonly InitStageAttention? attention;

    public InitStage(int ngf, int conditionDim, int zDim) : this(ngf, conditionDim, zDim, 0, false)
    {
    }

    /// <param name="ngf">GF_DIM.</param>
    /// <param name="conditionDim">Size of c_code.</param>
    /// <param name="zDim">Size of z.</param>
    /// <param name="wordDim">Word feature size D; 0: no attention block.</param>
    /// <param name="reproduceMaskBug">AttnGAN issue #93's mask tiling in the block's word attention.</param>
    public InitStage(int ngf, int conditionDim, int zDim, int wordDim, bool reproduceMaskBug) : base(nameof(InitStage))
    {
        _channels = 16L * ngf;
        fc = nn.Sequential(
            ("linear", nn.Linear(conditionDim + zDim, _channels * 4 * 4 * 2, hasBias: false)),
            ("bn", nn.BatchNorm1d(_channels * 4 * 4 * 2)),
            ("glu", new Glu(1)));
        upsample = nn.Sequential(
            ("up1", GlamBlocks.UpBlock(_channels, _channels / 2)),
            ("up2", GlamBlocks.UpBlock(_channels / 2, _channels / 4)),
            ("up3", GlamBlocks.UpBlock(_channels / 4, _channels / 8)),
            ("up4", GlamBlocks.UpBlock(_channels / 8, _channels / 16)));
        if (wordDim > 0) attention = new InitStageAttention((int)(_channels / 4), wordDim, conditionDim, reproduceMaskBug);
        RegisterComponents();
    }

    /// <summary>Whether the 16-px attention block is present.</summary>
    public bool HasAttention => attention is not null;

    /// <param name="cCode">B×conditionDim conditioning (the CA sample).</param>
    /// <param name="z">B×zDim noise.</param>
    /// <param name="words">B×D×L word features (read only by the attention block).</param>
    /// <param name="padMask">B×L, true at padding words (null: none).</param>
    /// <returns>ngf×64×64 features, and the block's B×L×16×16 attention map (null without the block).</returns>
    public override (Tensor H, Tensor? Attention) forward(Tensor cCode, Tensor z, Tensor words, Tensor? padMask)
    {
        // Order [c_code, z] as the original; swapping breaks imported checkpoints.
        var h = fc.call(torch.cat(new[] { cCode, z }, 1)).view(-1, _channels, 4, 4);
        if (attention is null) return (upsample.call(h), null);
        Tensor? map = null;
        int i = 0;
        foreach (var block in upsample.children())
        {
            h = ((nn.Module<Tensor, Tensor>)block).call(h);
            if (++i == 2) (h, map) = attention.call(h, cCode, words, padMask);
        }
        return (h, map);
    }
}
