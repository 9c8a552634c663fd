using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// One stage's discriminator (D_NET64/128/256, docs/paper-fidelity.md): a ×16 down-sampling encoder (plus extra blocks at 128
/// and 256 px) to 8·DF×4×4, an unconditional logit head and a sentence-conditional one. Heads return logits: the
/// original applies a sigmoid and then BCE, which is the same loss as BCE-with-logits on these logits, but overflows
/// (and libtorch's BCE throws a native error) once a logit saturates or a NaN arrives; the losses therefore take
/// logits. Apply a sigmoid for P(real). The parameter names match the original's, whose sigmoid has no parameters.
/// </summary>
public sealed class GlamDiscriminator : nn.Module<Tensor, Tensor>
{
    private readonly Sequential img_code;
    private readonly Sequential uncond_logits;
    private readonly Sequential joint_conv;
    private readonly Sequential cond_logits;
    private readonly int _textDim;

    /// <summary>Creates the discriminator for images of side <paramref name="imageSize"/> (64, 128 or 256).</summary>
    public GlamDiscriminator(int imageSize, int df, int textDim) : base(TorchRuntime.Loaded(nameof(GlamDiscriminator)))
    {
        if (imageSize is not (64 or 128 or 256))
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "Discriminators exist for 64, 128 and 256 px.");
        _textDim = textDim;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv0", nn.Conv2d(3, df, 4, stride: 2, padding: 1, bias: false)),
            ("act0", nn.LeakyReLU(0.2, inplace: true)),
        };
        AddDown(layers, "down1", df, df * 2);
        AddDown(layers, "down2", df * 2, df * 4);
        AddDown(layers, "down3", df * 4, df * 8);
        if (imageSize >= 128) AddDown(layers, "down4", df * 8, df * 16);
        if (imageSize >= 256) AddDown(layers, "down5", df * 16, df * 32);
        if (imageSize >= 256) AddBlock3x3(layers, "block5", df * 32, df * 16);
        if (imageSize >= 128) AddBlock3x3(layers, "block4", df * 16, df * 8);
        img_code = nn.Sequential(layers);

        uncond_logits = nn.Sequential(("conv", nn.Conv2d(df * 8, 1, 4, stride: 4)));
        var joint = new List<(string, nn.Module<Tensor, Tensor>)>();
        AddBlock3x3(joint, "block", df * 8 + textDim, df * 8);
        joint_conv = nn.Sequential(joint);
        cond_logits = nn.Sequential(("conv", nn.Conv2d(df * 8, 1, 4, stride: 4)));
        RegisterComponents();
        GlamInit.Apply(this);
    }

    private static void AddDown(List<(string, nn.Module<Tensor, Tensor>)> layers, string name, long i, long o)
    {
        layers.Add(($"{name}_conv", nn.Conv2d(i, o, 4, stride: 2, padding: 1, bias: false)));
        layers.Add(($"{name}_bn", nn.BatchNorm2d(o)));
        layers.Add(($"{name}_act", nn.LeakyReLU(0.2, inplace: true)));
    }

    private static void AddBlock3x3(List<(string, nn.Module<Tensor, Tensor>)> layers, string name, long i, long o)
    {
        layers.Add(($"{name}_conv", GlamBlocks.Conv3x3(i, o)));
        layers.Add(($"{name}_bn", nn.BatchNorm2d(o)));
        layers.Add(($"{name}_act", nn.LeakyReLU(0.2, inplace: true)));
    }

    /// <summary>Encodes images to 8·DF×4×4 features.</summary>
    public override Tensor forward(Tensor images) => img_code.call(images);

    /// <summary>The logit of P(real) from features alone, B.</summary>
    public Tensor Unconditional(Tensor features) => uncond_logits.call(features).view(-1);

    /// <summary>The logit of P(real and matching) from features and the raw sentence feature (B×TextDim), B.</summary>
    public Tensor Conditional(Tensor features, Tensor sentence)
    {
        var tiled = sentence.view(-1, _textDim, 1, 1).expand(-1, -1, features.shape[2], features.shape[3]);
        return cond_logits.call(joint_conv.call(torch.cat(new[] { features, tiled }, 1))).view(-1);
    }
}
