using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>The building blocks of AttnGAN/MirrorGAN generators (docs/paper-fidelity.md), with the original's bias flags.</summary>
internal static class GlamBlocks
{
    public static Conv2d Conv3x3(long inChannels, long outChannels) => nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false);

    public static Conv2d Conv1x1(long inChannels, long outChannels) => nn.Conv2d(inChannels, outChannels, 1, bias: false);

    /// <summary>nearest ×2 → conv3x3(in → 2·out) → BatchNorm → GLU: doubles the side, gives <paramref name="outChannels"/>.</summary>
    public static Sequential UpBlock(long inChannels, long outChannels) => nn.Sequential(
        ("up", nn.Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest)),
        ("conv", Conv3x3(inChannels, outChannels * 2)),
        ("bn", nn.BatchNorm2d(outChannels * 2)),
        ("glu", new Glu(1)));

    /// <summary>conv3x3 → tanh: the RGB head of each stage.</summary>
    public static Sequential ImageHead(long channels) => nn.Sequential(("conv", Conv3x3(channels, 3)), ("tanh", nn.Tanh()));
}

/// <summary>Gated linear unit: first half ⊙ sigmoid(second half) along one dimension.</summary>
internal sealed class Glu : nn.Module<Tensor, Tensor>
{
    private readonly long _dim;

    public Glu(long dim) : base(nameof(Glu)) => _dim = dim;

    public override Tensor forward(Tensor input) => nn.functional.glu(input, _dim);
}

/// <summary>conv3x3(C → 2C) → BN → GLU → conv3x3(C → C) → BN, plus the input (no activation after the add).</summary>
internal sealed class ResBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential block;

    public ResBlock(long channels) : base(nameof(ResBlock))
    {
        block = nn.Sequential(
            ("conv1", GlamBlocks.Conv3x3(channels, channels * 2)),
            ("bn1", nn.BatchNorm2d(channels * 2)),
            ("glu", new Glu(1)),
            ("conv2", GlamBlocks.Conv3x3(channels, channels)),
            ("bn2", nn.BatchNorm2d(channels)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => block.call(x) + x;
}
