using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Stage 1 (INIT_STAGE_G): [c_code ‖ z] → Linear (no bias) → BatchNorm1d → GLU → 16·ngf×4×4 → four up-blocks
/// → ngf×64×64 (spec §3).
/// </summary>
internal sealed class InitStage : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long _channels;
    private readonly Sequential fc;
    private readonly Sequential upsample;

    public InitStage(int ngf, int conditionDim, int zDim) : base(nameof(InitStage))
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
        RegisterComponents();
    }

    /// <param name="cCode">B×conditionDim conditioning (the CA sample).</param>
    /// <param name="z">B×zDim noise.</param>
    public override Tensor forward(Tensor cCode, Tensor z)
    {
        // Order [c_code, z] as the original; swapping breaks imported checkpoints.
        var h = fc.call(torch.cat(new[] { cCode, z }, 1));
        return upsample.call(h.view(-1, _channels, 4, 4));
    }
}
