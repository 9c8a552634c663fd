using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// A frozen ResNet trunk (torchvision module names: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, …,
/// <c>layerN.0.downsample.0/1</c>) without its classifier. All weights are buffers (see <see cref="FrozenConv2d"/>).
/// Returns the stage-3 map (regions) and the global average of stage 4.
/// </summary>
internal sealed class ResNetTrunk : nn.Module<Tensor, (Tensor Stage3, Tensor Pooled)>
{
    private readonly FrozenConv2d conv1;
    private readonly FrozenBatchNorm2d bn1;
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly long[] _poolPads;

    public ResNetTrunk(ResNetLayout layout) : base(nameof(ResNetTrunk))
    {
        layout.Validate();
        Layout = layout;
        bool cntk = layout.Padding == ResNetPadding.Cntk;
        conv1 = new FrozenConv2d(3, layout.Width, 7, 2, cntk ? new long[] { 3, 3, 2, 2 } : new long[] { 3, 3, 3, 3 });
        bn1 = new FrozenBatchNorm2d(layout.Width);
        _poolPads = cntk ? new long[] { 1, 1, 0, 0 } : new long[] { 1, 1, 1, 1 };
        long inChannels = layout.Width;
        var layers = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            long planes = (long)layout.Width << s;
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < layout.Blocks[s]; b++)
            {
                long stride = s > 0 && b == 0 ? 2 : 1;
                blocks.Add((b.ToString(), layout.Bottleneck
                    ? new BottleneckBlock(inChannels, planes, stride, cntk)
                    : new BasicBlock(inChannels, planes, stride, cntk)));
                inChannels = layout.StageChannels(s);
            }
            layers[s] = nn.Sequential(blocks.ToArray());
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3]);
        register_module(nameof(conv1), conv1);
        register_module(nameof(bn1), bn1);
        register_module(nameof(layer1), layer1);
        register_module(nameof(layer2), layer2);
        register_module(nameof(layer3), layer3);
        register_module(nameof(layer4), layer4);
    }

    public ResNetLayout Layout { get; }

    /// <summary>The stem convolution and its normalisation (for weight converters).</summary>
    public (FrozenConv2d Conv, FrozenBatchNorm2d Norm) Stem => (conv1, bn1);

    /// <summary>Max-pool padding (top, left, bottom, right).</summary>
    public IReadOnlyList<long> PoolPads => _poolPads;

    /// <summary>Blocks in forward order, with their stage (0-3) and index in the stage.</summary>
    public IEnumerable<(int Stage, int Index, IResNetBlock Block)> Blocks()
    {
        var stages = new[] { layer1, layer2, layer3, layer4 };
        for (int s = 0; s < 4; s++)
        {
            for (int i = 0; i < stages[s].Count; i++) yield return (s, i, (IResNetBlock)stages[s][i]);
        }
    }

    public override (Tensor Stage3, Tensor Pooled) forward(Tensor x)
    {
        var h = nn.functional.relu(bn1.call(conv1.call(x)));
        // Pad with −∞ so padded cells never win the max (ONNX MaxPool semantics), then pool unpadded.
        h = nn.functional.pad(h, new[] { _poolPads[1], _poolPads[3], _poolPads[0], _poolPads[2] }, value: double.NegativeInfinity);
        h = nn.functional.max_pool2d(h, new long[] { 3, 3 }, new long[] { 2, 2 });
        h = layer2.call(layer1.call(h));
        var stage3 = layer3.call(h);
        var pooled = layer4.call(stage3).mean(new long[] { 2, 3 });
        return (stage3, pooled);
    }
}

/// <summary>The frozen layers of a residual block, for weight converters.</summary>
internal interface IResNetBlock
{
    /// <summary>Main-path convolutions with their normalisation, in order (a ReLU follows each but the last).</summary>
    IReadOnlyList<(FrozenConv2d Conv, FrozenBatchNorm2d Norm)> Main { get; }

    /// <summary>The projection shortcut, or null for an identity shortcut.</summary>
    (FrozenConv2d Conv, FrozenBatchNorm2d Norm)? Shortcut { get; }
}

/// <summary>ResNet basic block (two 3×3 convolutions), torchvision names.</summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>, IResNetBlock
{
    private readonly FrozenConv2d conv1, conv2;
    private readonly FrozenBatchNorm2d bn1, bn2;
    private readonly Sequential? downsample;

    public BasicBlock(long inChannels, long planes, long stride, bool cntk) : base(nameof(BasicBlock))
    {
        conv1 = new FrozenConv2d(inChannels, planes, 3, stride, Pad3x3(stride, cntk));
        bn1 = new FrozenBatchNorm2d(planes);
        conv2 = new FrozenConv2d(planes, planes, 3, 1, Pad3x3(1, cntk));
        bn2 = new FrozenBatchNorm2d(planes);
        register_module(nameof(conv1), conv1);
        register_module(nameof(bn1), bn1);
        register_module(nameof(conv2), conv2);
        register_module(nameof(bn2), bn2);
        if (stride != 1 || inChannels != planes)
        {
            downsample = nn.Sequential(("0", new FrozenConv2d(inChannels, planes, 1, stride, new long[4])), ("1", new FrozenBatchNorm2d(planes)));
            register_module(nameof(downsample), downsample);
        }
    }

    public IReadOnlyList<(FrozenConv2d Conv, FrozenBatchNorm2d Norm)> Main => new[] { (conv1, bn1), (conv2, bn2) };

    public (FrozenConv2d Conv, FrozenBatchNorm2d Norm)? Shortcut =>
        downsample is null ? null : ((FrozenConv2d)downsample[0], (FrozenBatchNorm2d)downsample[1]);

    internal static long[] Pad3x3(long stride, bool cntk) => cntk && stride == 2 ? new long[] { 1, 1, 0, 0 } : new long[] { 1, 1, 1, 1 };

    public override Tensor forward(Tensor x)
    {
        var h = nn.functional.relu(bn1.call(conv1.call(x)));
        h = bn2.call(conv2.call(h));
        return nn.functional.relu(h + (downsample is null ? x : downsample.call(x)));
    }
}

/// <summary>ResNet bottleneck block (1×1 → 3×3 with the stride → 1×1 ×4, torchvision v1.5), torchvision names.</summary>
internal sealed class BottleneckBlock : nn.Module<Tensor, Tensor>, IResNetBlock
{
    private readonly FrozenConv2d conv1, conv2, conv3;
    private readonly FrozenBatchNorm2d bn1, bn2, bn3;
    private readonly Sequential? downsample;

    public BottleneckBlock(long inChannels, long planes, long stride, bool cntk) : base(nameof(BottleneckBlock))
    {
        conv1 = new FrozenConv2d(inChannels, planes, 1, 1, new long[4]);
        bn1 = new FrozenBatchNorm2d(planes);
        conv2 = new FrozenConv2d(planes, planes, 3, stride, BasicBlock.Pad3x3(stride, cntk));
        bn2 = new FrozenBatchNorm2d(planes);
        conv3 = new FrozenConv2d(planes, planes * 4, 1, 1, new long[4]);
        bn3 = new FrozenBatchNorm2d(planes * 4);
        register_module(nameof(conv1), conv1);
        register_module(nameof(bn1), bn1);
        register_module(nameof(conv2), conv2);
        register_module(nameof(bn2), bn2);
        register_module(nameof(conv3), conv3);
        register_module(nameof(bn3), bn3);
        if (stride != 1 || inChannels != planes * 4)
        {
            downsample = nn.Sequential(("0", new FrozenConv2d(inChannels, planes * 4, 1, stride, new long[4])), ("1", new FrozenBatchNorm2d(planes * 4)));
            register_module(nameof(downsample), downsample);
        }
    }

    public IReadOnlyList<(FrozenConv2d Conv, FrozenBatchNorm2d Norm)> Main => new[] { (conv1, bn1), (conv2, bn2), (conv3, bn3) };

    public (FrozenConv2d Conv, FrozenBatchNorm2d Norm)? Shortcut =>
        downsample is null ? null : ((FrozenConv2d)downsample[0], (FrozenBatchNorm2d)downsample[1]);

    public override Tensor forward(Tensor x)
    {
        var h = nn.functional.relu(bn1.call(conv1.call(x)));
        h = nn.functional.relu(bn2.call(conv2.call(h)));
        h = bn3.call(conv3.call(h));
        return nn.functional.relu(h + (downsample is null ? x : downsample.call(x)));
    }
}
