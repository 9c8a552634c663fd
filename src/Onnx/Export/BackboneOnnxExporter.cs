using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.Graph.OnnxGraphBuilder;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Emits an <see cref="ImageBackbone"/>'s forward pass (evaluation mode) into a graph: the small CNN, the frozen ResNet
/// trunks (basic and bottleneck blocks, torchvision or CNTK padding, with ML.NET ResNet-18's mean-image preprocessing)
/// and the frozen Inception-v3 trunk of AttnGAN's DAMSM image encoder. Every Conv → BatchNorm pair is written as one
/// Conv with the normalisation folded into its weights (<see cref="TorchOnnxOps.FoldBatchNorm"/>).
/// </summary>
internal static class BackboneOnnxExporter
{
    /// <summary>
    /// What the emitted trunk leaves out on purpose; the encoders that embed a trunk add this to their own list.
    /// </summary>
    public static IReadOnlyList<ExportExemption> Unexported { get; } =
        ExportExemption.BatchNormStepCounters;   // the small CNN's BatchNorm2d (frozen trunks hold no counters)

    /// <summary>The trunk's outputs: the region map (B×C×H×W) and the pooled global feature (B×C′).</summary>
    public readonly record struct Outputs(string Regions, string Global, long RegionHeight, long RegionWidth);

    /// <summary>Emits <paramref name="backbone"/> on <paramref name="images"/> (B×3×S×S in [−1, 1], S = <paramref name="imageSize"/>).</summary>
    public static Outputs Emit(OnnxGraphBuilder g, ImageBackbone backbone, string images, int imageSize) => backbone switch
    {
        SmallCnnBackbone cnn => SmallCnn(g, cnn, images, imageSize),
        ResNetBackbone resnet => ResNet(g, resnet, images, imageSize),
        InceptionV3Backbone inception => Inception(g, inception, images, imageSize),
        _ => throw new NotSupportedException(
            $"ONNX export does not know the '{backbone.Kind}' trunk ({backbone.GetType().Name}); exportable trunks are small-cnn, resnet18-imagenet, resnet:… and inception-v3."),
    };

    /// <summary>The trunk resizes only when the input side differs (bilinear, align_corners false), as its forward does.</summary>
    private static string ResizeTo(OnnxGraphBuilder g, string x, int imageSize, int inputSize) =>
        imageSize == inputSize ? x : TorchOnnxOps.ResizeBilinear(g, x, inputSize, inputSize);

    private static Outputs SmallCnn(OnnxGraphBuilder g, SmallCnnBackbone cnn, string x, int imageSize)
    {
        var index = new ModuleIndex(cnn, nameof(SmallCnnBackbone));
        x = ResizeTo(g, x, imageSize, cnn.InputSize);
        long side = cnn.InputSize;
        for (int i = 0; index.Has($"trunk.conv{i}"); i++)
        {
            x = TorchOnnxOps.ConvBatchNorm(g, index.Get<Conv2d>($"trunk.conv{i}"), index.Get<BatchNorm2d>($"trunk.bn{i}"), x, 2, 1);
            x = TorchOnnxOps.LeakyRelu(g, x, SmallCnnSlope);
            side = (side + 1) / 2;
        }
        string global = TorchOnnxOps.ConvBatchNorm(g, index.Get<Conv2d>("head.conv"), index.Get<BatchNorm2d>("head.bn"), x, 2, 1);
        global = TorchOnnxOps.LeakyRelu(g, global, SmallCnnSlope);
        if (cnn.FlatGlobal)
        {
            // Flatten (C·4·4, channel-major as torch's Flatten) then the head's Linear.
            string flat = g.Node("Flatten", new[] { global }, Attr("axis", 1L));
            return new Outputs(x, TorchOnnxOps.Linear(g, index.Get<Linear>("head.linear"), flat), side, side);
        }
        return new Outputs(x, GlobalAverage(g, global), side, side);
    }

    private static Outputs ResNet(OnnxGraphBuilder g, ResNetBackbone resnet, string x, int imageSize)
    {
        x = ResizeTo(g, x, imageSize, resnet.InputSize);
        if (resnet.MeanImage is { } mean)
        {
            if (mean.abs().max().item<float>() == 0f)
                throw new InvalidOperationException(
                    "The resnet18-imagenet backbone has no weights (its mean image is zero); load them with MirrorGanBackbones.RegisterResNet18 or a saved model before exporting.");
            // As the module: [−1, 1] → 0–255, RGB → BGR (Gather on channels: exact), minus the per-pixel mean image.
            x = TorchOnnxOps.Binary(g, "Mul", TorchOnnxOps.Binary(g, "Add", x, g.Scalar("one", 1f)), g.Scalar("to255", 127.5f));
            x = g.Node("Gather", new[] { x, g.Int64Initializer("bgr", new[] { 2L, 1L, 0L }, 3) }, Attr("axis", 1L));
            x = TorchOnnxOps.Binary(g, "Sub", x, g.Initializer("mean_image", TorchOnnxOps.Values(mean), mean.shape));
        }
        var trunk = resnet.Trunk;
        var (conv1, bn1) = trunk.Stem;
        long side = resnet.InputSize;
        x = Relu(g, Conv(g, conv1, bn1, x, ref side));
        var pool = trunk.PoolPads.ToArray();
        x = g.Node("MaxPool", new[] { x }, Attr("kernel_shape", 3L, 3L), Attr("strides", 2L, 2L), Attr("pads", pool));
        side = (side + pool[0] + pool[2] - 3) / 2 + 1;
        string regions = x;
        long regionSide = 0;
        foreach (var (stage, _, block) in trunk.Blocks())
        {
            if (stage == 3 && regionSide == 0) (regions, regionSide) = (x, side);
            long blockSide = side;
            string shortcut = block.Shortcut is { } s ? Conv(g, s.Conv, s.Norm, x, ref blockSide) : x;
            string h = x;
            var main = block.Main;
            for (int i = 0; i < main.Count; i++)
            {
                h = Conv(g, main[i].Conv, main[i].Norm, h, ref side);
                if (i < main.Count - 1) h = Relu(g, h);
            }
            x = Relu(g, TorchOnnxOps.Binary(g, "Add", h, shortcut));
        }
        return new Outputs(regions, GlobalAverage(g, x), regionSide, regionSide);
    }

    /// <summary>A frozen square-kernel convolution (asymmetric padding allowed) with its BatchNorm folded in; updates the map side.</summary>
    private static string Conv(OnnxGraphBuilder g, FrozenConv2d conv, FrozenBatchNorm2d bn, string x, ref long side)
    {
        var pads = conv.Pads.ToArray();
        long k = conv.Weight.shape[2];
        side = (side + pads[0] + pads[2] - k) / conv.Stride + 1;
        return TorchOnnxOps.ConvBatchNorm(g, conv.Weight, null, BatchNormTensors.Of(bn), conv.Stride, pads, x);
    }

    private static Outputs Inception(OnnxGraphBuilder g, InceptionV3Backbone inception, string x, int imageSize)
    {
        var index = new ModuleIndex(inception, nameof(InceptionV3Backbone));
        string B(string name, string input)
        {
            var layer = index.Get<FrozenBasicConv2d>(name);
            var p = layer.Conv.Padding;
            string conv = TorchOnnxOps.ConvBatchNorm(g, layer.Conv.Weight, null, BatchNormTensors.Of(layer.Norm), layer.Conv.Stride, new[] { p[0], p[1], p[0], p[1] }, input);
            return Relu(g, conv);
        }
        string Chain(string input, params string[] names) => names.Aggregate(input, (h, n) => B(n, h));
        string MaxPool(string input) => g.Node("MaxPool", new[] { input }, Attr("kernel_shape", 3L, 3L), Attr("strides", 2L, 2L));
        // torchvision pools with count_include_pad (PyTorch's default): padded zeros count in the average.
        string AvgPool(string input) => g.Node("AveragePool", new[] { input },
            Attr("kernel_shape", 3L, 3L), Attr("strides", 1L, 1L), Attr("pads", 1L, 1L, 1L, 1L), Attr("count_include_pad", 1L));

        string A(string m, string input) => TorchOnnxOps.Concat(g, 1,
            B($"{m}.branch1x1", input),
            Chain(input, $"{m}.branch5x5_1", $"{m}.branch5x5_2"),
            Chain(input, $"{m}.branch3x3dbl_1", $"{m}.branch3x3dbl_2", $"{m}.branch3x3dbl_3"),
            B($"{m}.branch_pool", AvgPool(input)));
        string Bm(string m, string input) => TorchOnnxOps.Concat(g, 1,
            B($"{m}.branch3x3", input),
            Chain(input, $"{m}.branch3x3dbl_1", $"{m}.branch3x3dbl_2", $"{m}.branch3x3dbl_3"),
            MaxPool(input));
        string C(string m, string input) => TorchOnnxOps.Concat(g, 1,
            B($"{m}.branch1x1", input),
            Chain(input, $"{m}.branch7x7_1", $"{m}.branch7x7_2", $"{m}.branch7x7_3"),
            Chain(input, $"{m}.branch7x7dbl_1", $"{m}.branch7x7dbl_2", $"{m}.branch7x7dbl_3", $"{m}.branch7x7dbl_4", $"{m}.branch7x7dbl_5"),
            B($"{m}.branch_pool", AvgPool(input)));
        string D(string m, string input) => TorchOnnxOps.Concat(g, 1,
            Chain(input, $"{m}.branch3x3_1", $"{m}.branch3x3_2"),
            Chain(input, $"{m}.branch7x7x3_1", $"{m}.branch7x7x3_2", $"{m}.branch7x7x3_3", $"{m}.branch7x7x3_4"),
            MaxPool(input));
        string E(string m, string input)
        {
            string t = B($"{m}.branch3x3_1", input);
            string d = Chain(input, $"{m}.branch3x3dbl_1", $"{m}.branch3x3dbl_2");
            // The module concatenates (2a ‖ 2b) and (3a ‖ 3b) first; one flat Concat gives the same channel order.
            return TorchOnnxOps.Concat(g, 1,
                B($"{m}.branch1x1", input),
                B($"{m}.branch3x3_2a", t), B($"{m}.branch3x3_2b", t),
                B($"{m}.branch3x3dbl_3a", d), B($"{m}.branch3x3dbl_3b", d),
                B($"{m}.branch_pool", AvgPool(input)));
        }

        x = ResizeTo(g, x, imageSize, InceptionV3Backbone.InputSize);
        x = MaxPool(Chain(x, "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3"));   // 149 → 147 → 147 → 73
        x = MaxPool(Chain(x, "Conv2d_3b_1x1", "Conv2d_4a_3x3"));                    // 73 → 71 → 35
        x = A("Mixed_5d", A("Mixed_5c", A("Mixed_5b", x)));
        x = Bm("Mixed_6a", x);                                                      // 17
        string regions = C("Mixed_6e", C("Mixed_6d", C("Mixed_6c", C("Mixed_6b", x))));
        x = E("Mixed_7c", E("Mixed_7b", D("Mixed_7a", regions)));                   // 8
        // The module averages with an 8×8 kernel; at 299 px the map is 8×8, so that is the global average.
        return new Outputs(regions, GlobalAverage(g, x), 17, 17);
    }

    private static string Relu(OnnxGraphBuilder g, string x) => g.Node("Relu", new[] { x });

    /// <summary>B×C×H×W → B×C (mean over the map).</summary>
    private static string GlobalAverage(OnnxGraphBuilder g, string x) =>
        g.Node("Flatten", new[] { g.Node("GlobalAveragePool", new[] { x }) }, Attr("axis", 1L));

    /// <summary>SmallCnnBackbone's LeakyReLU slope (fixed in its constructor).</summary>
    private const float SmallCnnSlope = 0.2f;
}
