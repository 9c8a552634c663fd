using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// The frozen torchvision Inception-v3 trunk that AttnGAN's DAMSM image encoder (<c>CNN_ENCODER</c>, docs/paper-fidelity.md) uses:
/// <c>Conv2d_1a_3x3</c> … <c>Conv2d_4a_3x3</c> with two 3×3 s2 max-pools, <c>Mixed_5b</c> … <c>Mixed_7c</c>; no
/// auxiliary classifier, no <c>fc</c>. Images in [−1, 1] are bilinearly resized to 299 (align_corners false) and not
/// normalised, as in the original (the Google weights expect [−1, 1]).
/// <para>Regions = the <c>Mixed_6e</c> map (768×17×17), Global = <c>Mixed_7c</c> averaged over its 8×8 map (2048).
/// Parameter names are torchvision's (<c>Mixed_5b.branch1x1.conv.weight</c>, <c>….bn.running_mean</c>), so a
/// checkpoint's entries map one to one; every tensor is a buffer (frozen by construction, BatchNorm always in
/// inference mode) and gradients still reach the input.</para>
/// <para>Kinds: <c>inception-v3</c> (torchvision widths) and <c>inception-v3:&lt;divisor&gt;</c> (every width divided
/// by the divisor; tiny test networks use 16). Weights are zero until imported or loaded with a saved model.</para>
/// </summary>
public sealed class InceptionV3Backbone : ImageBackbone
{
    /// <summary>The kind prefix registered in <see cref="ImageBackbones"/>.</summary>
    public const string KindPrefix = "inception-v3";

    /// <summary>The side images are resized to.</summary>
    public const int InputSize = 299;

    private readonly FrozenBasicConv2d Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3;
    private readonly InceptionA Mixed_5b, Mixed_5c, Mixed_5d;
    private readonly InceptionB Mixed_6a;
    private readonly InceptionC Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e;
    private readonly InceptionD Mixed_7a;
    private readonly InceptionE Mixed_7b, Mixed_7c;

    /// <summary>Creates the trunk with torchvision's widths divided by <paramref name="widthDivisor"/> (1 = the real network).</summary>
    public InceptionV3Backbone(int widthDivisor = 1) : base(nameof(InceptionV3Backbone))
    {
        var w = new InceptionWidths(widthDivisor);
        WidthDivisor = widthDivisor;
        Conv2d_1a_3x3 = new(3, w[32], 3, stride: 2);
        Conv2d_2a_3x3 = new(w[32], w[32], 3);
        Conv2d_2b_3x3 = new(w[32], w[64], 3, padding: 1);
        Conv2d_3b_1x1 = new(w[64], w[80], 1);
        Conv2d_4a_3x3 = new(w[80], w[192], 3);
        Mixed_5b = new(w[192], w[32], w);
        Mixed_5c = new(Mixed_5b.OutChannels, w[64], w);
        Mixed_5d = new(Mixed_5c.OutChannels, w[64], w);
        Mixed_6a = new(Mixed_5d.OutChannels, w);
        Mixed_6b = new(Mixed_6a.OutChannels, w[128], w);
        Mixed_6c = new(Mixed_6b.OutChannels, w[160], w);
        Mixed_6d = new(Mixed_6c.OutChannels, w[160], w);
        Mixed_6e = new(Mixed_6d.OutChannels, w[192], w);
        Mixed_7a = new(Mixed_6e.OutChannels, w);
        Mixed_7b = new(Mixed_7a.OutChannels, w);
        Mixed_7c = new(Mixed_7b.OutChannels, w);
        RegionChannels = (int)Mixed_6e.OutChannels;
        GlobalChannels = (int)Mixed_7c.OutChannels;
        RegisterComponents();
    }

    /// <summary>The divisor applied to torchvision's channel widths (1 for the real network).</summary>
    public int WidthDivisor { get; }

    /// <inheritdoc/>
    public override int RegionChannels { get; }

    /// <inheritdoc/>
    public override int GlobalChannels { get; }

    /// <inheritdoc/>
    public override bool IsFrozen => true;

    /// <inheritdoc/>
    public override string Kind => WidthDivisor == 1 ? KindPrefix : $"{KindPrefix}:{WidthDivisor}";

    /// <inheritdoc/>
    public override (Tensor Regions, Tensor Global) forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images;
        if (x.shape[2] != InputSize || x.shape[3] != InputSize)
            x = nn.functional.interpolate(x, new long[] { InputSize, InputSize }, mode: InterpolationMode.Bilinear, align_corners: false);
        x = Conv2d_2b_3x3.call(Conv2d_2a_3x3.call(Conv2d_1a_3x3.call(x)));      // 149 → 147 → 147
        x = InceptionPool.Max3x3s2(x);                                          // 73
        x = Conv2d_4a_3x3.call(Conv2d_3b_1x1.call(x));                          // 71
        x = InceptionPool.Max3x3s2(x);                                          // 35
        x = Mixed_5d.call(Mixed_5c.call(Mixed_5b.call(x)));
        x = Mixed_6a.call(x);                                                   // 17
        var regions = Mixed_6e.call(Mixed_6d.call(Mixed_6c.call(Mixed_6b.call(x))));
        x = Mixed_7c.call(Mixed_7b.call(Mixed_7a.call(regions)));               // 8
        // The original averages with an 8×8 kernel (F.avg_pool2d(x, 8)); at 299 px that is the whole map.
        var pooled = nn.functional.avg_pool2d(x, new long[] { 8, 8 }).flatten(1);
        return (regions.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    /// <summary>Rebuilds a backbone from <c>inception-v3</c> or <c>inception-v3:&lt;divisor&gt;</c> (weights zero until loaded).</summary>
    public static InceptionV3Backbone FromKind(string kind)
    {
        if (kind == KindPrefix) return new InceptionV3Backbone();
        var parts = kind.Split(':');
        if (parts.Length != 2 || parts[0] != KindPrefix || !int.TryParse(parts[1], out int divisor))
            throw new InvalidDataException($"'{kind}' is not an Inception-v3 backbone description (expected inception-v3 or inception-v3:<width divisor>).");
        return new InceptionV3Backbone(divisor);
    }
}
