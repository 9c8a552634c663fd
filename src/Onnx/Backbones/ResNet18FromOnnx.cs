using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Onnx.Proto;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Onnx.Import;

/// <summary>
/// Converts ML.NET's ImageNet ResNet-18 (<c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>: CNTK-exported
/// <c>ResNet18.onnx</c> plus <c>ResNetPreprocess.onnx</c>) into a frozen TorchSharp <see cref="ResNetBackbone"/>.
/// The graph is walked structurally (stem Conv → BatchNormalization → Relu → MaxPool; per block Conv/BN/Relu chains
/// meeting an Add with the identity or a 1×1 projection; AveragePool), so every initializer lands in the layer that
/// uses it and every stride/padding attribute is checked against the module's.
/// </summary>
public static class ResNet18FromOnnx
{
    /// <summary>Relative path of the network inside the package's <c>DnnImageModels</c> folder.</summary>
    public const string NetworkFile = "ResNet18Onnx/ResNet18.onnx";

    /// <summary>Relative path of the preprocessing graph inside the package's <c>DnnImageModels</c> folder.</summary>
    public const string PreprocessFile = "ResNetPrepOnnx/ResNetPreprocess.onnx";

    /// <summary>The folder the package's <c>.props</c> copies the models to: <c>DnnImageModels</c> next to the application.</summary>
    public static string DefaultModelDirectory => System.IO.Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    /// <summary>Builds the backbone from the two ONNX files in <paramref name="modelDirectory"/> (default: <see cref="DefaultModelDirectory"/>).</summary>
    /// <exception cref="FileNotFoundException">A file is missing (the message says which package provides it).</exception>
    /// <exception cref="InvalidDataException">A graph does not have the expected structure (names the file and node).</exception>
    public static ResNetBackbone Load(string? modelDirectory = null)
    {
        string dir = modelDirectory ?? DefaultModelDirectory;
        string network = System.IO.Path.Combine(dir, NetworkFile), prep = System.IO.Path.Combine(dir, PreprocessFile);
        foreach (var f in new[] { network, prep })
            if (!File.Exists(f))
                throw new FileNotFoundException(
                    $"'{f}' not found. Reference the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (0.23.1) in the application " +
                    "(it copies DnnImageModels/ into the output folder), or pass the folder that holds ResNet18Onnx/ and ResNetPrepOnnx/.", f);
        TorchRuntime.EnsureLoaded();
        var backbone = ResNetBackbone.CreateResNet18ImageNet();
        LoadTrunk(new OnnxGraphView(network), backbone.Trunk);
        LoadMeanImage(new OnnxGraphView(prep), backbone.MeanImage!);
        backbone.eval();
        return backbone;
    }

    private static void LoadMeanImage(OnnxGraphView g, Tensor meanImage)
    {
        // OriginalInput (RGB) → Split(R, G, B) → Concat(B, G, R) → Sub(MeanImage): check the order, take the mean.
        var split = g.Next(g.DataInput, "Split");
        var concat = g.Next(split.Output[0], "Concat");
        if (!concat.Input.SequenceEqual(split.Output.Reverse()))
            throw g.Error($"the preprocessing concatenates [{string.Join(",", concat.Input)}], expected the split channels reversed (RGB → BGR)");
        var sub = g.Next(concat.Output[0], "Sub");
        g.CopyInto(sub.Input[1], meanImage, "mean image");
    }

    private static void LoadTrunk(OnnxGraphView g, ResNetTrunk trunk)
    {
        string x = g.DataInput;
        var (stemConv, stemNorm) = trunk.Stem;
        x = ConvNorm(g, g.Next(x, "Conv"), stemConv, stemNorm, "stem");
        var pool = g.Next(g.Next(x, "Relu").Output[0], "MaxPool");
        Expect(g, pool, "kernel_shape", new long[] { 3, 3 }, "stem max-pool");
        Expect(g, pool, "strides", new long[] { 2, 2 }, "stem max-pool");
        Expect(g, pool, "pads", trunk.PoolPads.ToArray(), "stem max-pool");
        x = pool.Output[0];
        foreach (var (stage, index, block) in trunk.Blocks())
        {
            string where = $"layer{stage + 1}.{index}";
            var convs = g.Consumers(x).Where(n => n.OpType == "Conv").ToList();
            NodeProto? shortcutConv = null;
            if (block.Shortcut is not null)
            {
                var ones = convs.Where(n => OnnxGraphView.Ints(n, "kernel_shape", Array.Empty<long>()).SequenceEqual(new long[] { 1, 1 })).ToList();
                if (convs.Count != 2 || ones.Count != 1)
                    throw g.Error($"{where}: expected a 1×1 projection convolution beside the main path on '{x}' ({convs.Count} convolutions, {ones.Count} of them 1×1)");
                shortcutConv = ones[0];
                convs.Remove(shortcutConv);
            }
            if (convs.Count != 1) throw g.Error($"{where}: expected one main-path convolution on '{x}', found {convs.Count}");
            string h = x;
            var node = convs[0];
            for (int i = 0; i < block.Main.Count; i++)
            {
                h = ConvNorm(g, node, block.Main[i].Conv, block.Main[i].Norm, $"{where}.conv{i + 1}");
                if (i < block.Main.Count - 1) node = g.Next(g.Next(h, "Relu").Output[0], "Conv");
            }
            string shortcut = x;
            if (block.Shortcut is { } sc) shortcut = ConvNorm(g, shortcutConv!, sc.Conv, sc.Norm, $"{where}.downsample");
            var add = g.Next(h, "Add");
            if (!add.Input.Contains(shortcut)) throw g.Error($"{where}: the residual Add does not take the shortcut '{shortcut}'");
            x = g.Next(add.Output[0], "Relu").Output[0];
        }
        var after = g.Consumers(x);
        if (after.Count != 1)
            throw g.Error($"expected one pooling node after the last block ('{x}'), found [{string.Join(", ", after.Select(n => n.OpType))}]");
        var last = after[0];
        if (last.OpType != "AveragePool" && last.OpType != "GlobalAveragePool")
            throw g.Error($"expected a global AveragePool after the last block, found {last.OpType}");
    }

    /// <summary>Loads a Conv and the BatchNormalization that follows it; returns the BN output's name.</summary>
    private static string ConvNorm(OnnxGraphView g, NodeProto conv, FrozenConv2d target, FrozenBatchNorm2d norm, string where)
    {
        if (conv.OpType != "Conv") throw g.Error($"{where}: expected Conv, found {conv.OpType}");
        if (conv.Input.Count > 2) throw g.Error($"{where}: convolution '{conv.Output[0]}' has a bias, which ResNet convolutions do not");
        Expect(g, conv, "strides", new[] { target.Stride, target.Stride }, where);
        Expect(g, conv, "pads", target.Pads.ToArray(), where);
        if (OnnxGraphView.Int(conv, "group", 1) != 1) throw g.Error($"{where}: grouped convolution is not supported");
        g.CopyInto(conv.Input[1], target.Weight, where + " weight");
        var bn = g.Next(conv.Output[0], "BatchNormalization");
        g.CopyInto(bn.Input[1], norm.Weight, where + " BN scale");
        g.CopyInto(bn.Input[2], norm.Bias, where + " BN bias");
        g.CopyInto(bn.Input[3], norm.RunningMean, where + " BN mean");
        g.CopyInto(bn.Input[4], norm.RunningVar, where + " BN variance");
        float eps = OnnxGraphView.Float(bn, "epsilon", 1e-5f);
        if (Math.Abs(eps - norm.Eps) > 1e-9) throw g.Error($"{where}: BN epsilon {eps} differs from the module's {norm.Eps}");
        return bn.Output[0];
    }

    private static void Expect(OnnxGraphView g, NodeProto node, string attribute, long[] expected, string where)
    {
        var actual = OnnxGraphView.Ints(node, attribute, Array.Empty<long>());
        if (!actual.SequenceEqual(expected))
            throw g.Error($"{where}: {node.OpType} '{node.Output[0]}' has {attribute} [{string.Join(",", actual)}], expected [{string.Join(",", expected)}]");
    }
}
