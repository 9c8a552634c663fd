using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// torchvision's <c>BasicConv2d</c>, frozen: a convolution without bias (<c>conv.weight</c>), BatchNorm with eps 0.001
/// (<c>bn.*</c>, running statistics only) and ReLU. Kernels may be rectangular (Inception's 1×7, 7×1, 1×3, 3×1).
/// All tensors are buffers, as in <see cref="FrozenConv2d"/>, so nothing here is ever trained.
/// </summary>
internal sealed class FrozenBasicConv2d : nn.Module<Tensor, Tensor>
{
    private readonly FrozenRectConv2d conv;
    private readonly FrozenBatchNorm2d bn;

    public FrozenBasicConv2d(long inChannels, long outChannels, (long H, long W) kernel, long stride = 1, (long H, long W) padding = default)
        : base(nameof(FrozenBasicConv2d))
    {
        conv = new FrozenRectConv2d(inChannels, outChannels, kernel, stride, padding);
        bn = new FrozenBatchNorm2d(outChannels, eps: 0.001); // torchvision's Inception uses 0.001, not the default 1e-5
        register_module(nameof(conv), conv);
        register_module(nameof(bn), bn);
    }

    public FrozenBasicConv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0)
        : this(inChannels, outChannels, (kernel, kernel), stride, (padding, padding)) { }

    public long OutChannels => bn.Weight.shape[0];

    /// <summary>The convolution (for exporters).</summary>
    public FrozenRectConv2d Conv => conv;

    /// <summary>The normalisation (for exporters).</summary>
    public FrozenBatchNorm2d Norm => bn;

    public override Tensor forward(Tensor x) => nn.functional.relu(bn.call(conv.call(x)));
}

/// <summary>A bias-free convolution with a rectangular kernel and symmetric padding whose weight is a buffer.</summary>
internal sealed class FrozenRectConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Tensor weight;
    private readonly long _stride;
    private readonly long[] _padding;

    public FrozenRectConv2d(long inChannels, long outChannels, (long H, long W) kernel, long stride, (long H, long W) padding)
        : base(nameof(FrozenRectConv2d))
    {
        weight = torch.zeros(outChannels, inChannels, kernel.H, kernel.W).DetachFromDisposeScope();
        _stride = stride;
        _padding = new[] { padding.H, padding.W };
        register_buffer(nameof(weight), weight);
    }

    /// <summary>The weight (out, in, kH, kW).</summary>
    public Tensor Weight => weight;

    public long Stride => _stride;

    /// <summary>Symmetric padding (height, width).</summary>
    public IReadOnlyList<long> Padding => _padding;

    public override Tensor forward(Tensor x) =>
        nn.functional.conv2d(x, weight, null, strides: new[] { _stride, _stride }, padding: _padding);
}

/// <summary>Shared pooling helpers: torchvision's Inception pools with count_include_pad on (PyTorch's default).</summary>
internal static class InceptionPool
{
    public static Tensor Avg3x3(Tensor x) =>
        nn.functional.avg_pool2d(x, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1 }, count_include_pad: true);

    public static Tensor Max3x3s2(Tensor x) => nn.functional.max_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 });
}

/// <summary>InceptionA (Mixed_5b/5c/5d): 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg-pool→1×1.</summary>
internal sealed class InceptionA : nn.Module<Tensor, Tensor>
{
    private readonly FrozenBasicConv2d branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;

    public InceptionA(long inChannels, long poolFeatures, InceptionWidths w) : base(nameof(InceptionA))
    {
        branch1x1 = new(inChannels, w[64], 1);
        branch5x5_1 = new(inChannels, w[48], 1);
        branch5x5_2 = new(w[48], w[64], 5, padding: 2);
        branch3x3dbl_1 = new(inChannels, w[64], 1);
        branch3x3dbl_2 = new(w[64], w[96], 3, padding: 1);
        branch3x3dbl_3 = new(w[96], w[96], 3, padding: 1);
        branch_pool = new(inChannels, poolFeatures, 1);
        OutChannels = w[64] * 2 + w[96] + poolFeatures;
        RegisterComponents();
    }

    public long OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b1 = branch1x1.call(x);
        var b5 = branch5x5_2.call(branch5x5_1.call(x));
        var b3 = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
        var bp = branch_pool.call(InceptionPool.Avg3x3(x));
        return torch.cat(new[] { b1, b5, b3, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>InceptionB (Mixed_6a, 35→17): 3×3 s2 | 1×1→3×3→3×3 s2 | max-pool s2.</summary>
internal sealed class InceptionB : nn.Module<Tensor, Tensor>
{
    private readonly FrozenBasicConv2d branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;

    public InceptionB(long inChannels, InceptionWidths w) : base(nameof(InceptionB))
    {
        branch3x3 = new(inChannels, w[384], 3, stride: 2);
        branch3x3dbl_1 = new(inChannels, w[64], 1);
        branch3x3dbl_2 = new(w[64], w[96], 3, padding: 1);
        branch3x3dbl_3 = new(w[96], w[96], 3, stride: 2);
        OutChannels = w[384] + w[96] + inChannels;
        RegisterComponents();
    }

    public long OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b3 = branch3x3.call(x);
        var bd = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
        return torch.cat(new[] { b3, bd, InceptionPool.Max3x3s2(x) }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>InceptionC (Mixed_6b–6e): 1×1 | 1×1→1×7→7×1 | 1×1→7×1→1×7→7×1→1×7 | avg-pool→1×1.</summary>
internal sealed class InceptionC : nn.Module<Tensor, Tensor>
{
    private readonly FrozenBasicConv2d branch1x1, branch7x7_1, branch7x7_2, branch7x7_3,
        branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool;

    public InceptionC(long inChannels, long c7, InceptionWidths w) : base(nameof(InceptionC))
    {
        var (row, col) = ((1L, 7L), (7L, 1L));
        var (rowPad, colPad) = ((0L, 3L), (3L, 0L));
        branch1x1 = new(inChannels, w[192], 1);
        branch7x7_1 = new(inChannels, c7, 1);
        branch7x7_2 = new(c7, c7, row, 1, rowPad);
        branch7x7_3 = new(c7, w[192], col, 1, colPad);
        branch7x7dbl_1 = new(inChannels, c7, 1);
        branch7x7dbl_2 = new(c7, c7, col, 1, colPad);
        branch7x7dbl_3 = new(c7, c7, row, 1, rowPad);
        branch7x7dbl_4 = new(c7, c7, col, 1, colPad);
        branch7x7dbl_5 = new(c7, w[192], row, 1, rowPad);
        branch_pool = new(inChannels, w[192], 1);
        OutChannels = w[192] * 4;
        RegisterComponents();
    }

    public long OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b1 = branch1x1.call(x);
        var b7 = branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x)));
        var bd = branch7x7dbl_5.call(branch7x7dbl_4.call(branch7x7dbl_3.call(branch7x7dbl_2.call(branch7x7dbl_1.call(x)))));
        var bp = branch_pool.call(InceptionPool.Avg3x3(x));
        return torch.cat(new[] { b1, b7, bd, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>InceptionD (Mixed_7a, 17→8): 1×1→3×3 s2 | 1×1→1×7→7×1→3×3 s2 | max-pool s2.</summary>
internal sealed class InceptionD : nn.Module<Tensor, Tensor>
{
    private readonly FrozenBasicConv2d branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;

    public InceptionD(long inChannels, InceptionWidths w) : base(nameof(InceptionD))
    {
        branch3x3_1 = new(inChannels, w[192], 1);
        branch3x3_2 = new(w[192], w[320], 3, stride: 2);
        branch7x7x3_1 = new(inChannels, w[192], 1);
        branch7x7x3_2 = new(w[192], w[192], (1, 7), 1, (0, 3));
        branch7x7x3_3 = new(w[192], w[192], (7, 1), 1, (3, 0));
        branch7x7x3_4 = new(w[192], w[192], 3, stride: 2);
        OutChannels = w[320] + w[192] + inChannels;
        RegisterComponents();
    }

    public long OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b3 = branch3x3_2.call(branch3x3_1.call(x));
        var b7 = branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x))));
        return torch.cat(new[] { b3, b7, InceptionPool.Max3x3s2(x) }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>InceptionE (Mixed_7b/7c): 1×1 | 1×1→(1×3 ‖ 3×1) | 1×1→3×3→(1×3 ‖ 3×1) | avg-pool→1×1.</summary>
internal sealed class InceptionE : nn.Module<Tensor, Tensor>
{
    private readonly FrozenBasicConv2d branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b,
        branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool;

    public InceptionE(long inChannels, InceptionWidths w) : base(nameof(InceptionE))
    {
        branch1x1 = new(inChannels, w[320], 1);
        branch3x3_1 = new(inChannels, w[384], 1);
        branch3x3_2a = new(w[384], w[384], (1, 3), 1, (0, 1));
        branch3x3_2b = new(w[384], w[384], (3, 1), 1, (1, 0));
        branch3x3dbl_1 = new(inChannels, w[448], 1);
        branch3x3dbl_2 = new(w[448], w[384], 3, padding: 1);
        branch3x3dbl_3a = new(w[384], w[384], (1, 3), 1, (0, 1));
        branch3x3dbl_3b = new(w[384], w[384], (3, 1), 1, (1, 0));
        branch_pool = new(inChannels, w[192], 1);
        OutChannels = w[320] + w[384] * 4 + w[192];
        RegisterComponents();
    }

    public long OutChannels { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b1 = branch1x1.call(x);
        var t = branch3x3_1.call(x);
        var b3 = torch.cat(new[] { branch3x3_2a.call(t), branch3x3_2b.call(t) }, 1);
        var d = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
        var bd = torch.cat(new[] { branch3x3dbl_3a.call(d), branch3x3dbl_3b.call(d) }, 1);
        var bp = branch_pool.call(InceptionPool.Avg3x3(x));
        return torch.cat(new[] { b1, b3, bd, bp }, 1).MoveToOuterDisposeScope();
    }
}
