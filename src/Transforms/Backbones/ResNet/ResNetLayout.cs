namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>How a ResNet pads its convolutions and its stem max-pool.</summary>
public enum ResNetPadding
{
    /// <summary>PyTorch/torchvision: symmetric padding everywhere (conv1 3, max-pool 1, 3×3 convs 1).</summary>
    Torchvision = 0,

    /// <summary>
    /// CNTK, as exported in ML.NET's ResNet-18 ONNX file: stride-2 layers pad only at the start (conv1 3/2,
    /// max-pool 1/0, stride-2 3×3 convs 1/0). The output sizes match torchvision, the pixel alignment does not.
    /// </summary>
    Cntk = 1,
}

/// <summary>The shape of a ResNet trunk: block type, base width, blocks per stage and padding convention.</summary>
/// <param name="Bottleneck">Bottleneck blocks (ResNet-50/101/152, expansion 4) or basic blocks (ResNet-18/34).</param>
/// <param name="Width">Channels of the stem and of stage 1's inner convolutions (64 in torchvision).</param>
/// <param name="Blocks">Blocks in stages 1-4 (ResNet-18: 2,2,2,2; ResNet-152: 3,8,36,3).</param>
/// <param name="Padding">Padding convention.</param>
public sealed record ResNetLayout(bool Bottleneck, int Width, IReadOnlyList<int> Blocks, ResNetPadding Padding = ResNetPadding.Torchvision)
{
    /// <summary>
    /// "ResNet-18" as in ML.NET's CNTK-exported ONNX file. Its graph has nine basic blocks, not eight: stage 4 has
    /// three (2, 2, 2, 3; 22 convolutions counting the three projections), unlike torchvision's ResNet-18.
    /// </summary>
    public static ResNetLayout ResNet18Cntk { get; } = new(false, 64, new[] { 2, 2, 2, 3 }, ResNetPadding.Cntk);

    /// <summary>torchvision's ResNet-152 (STREAM's CAPTION_CNN trunk).</summary>
    public static ResNetLayout ResNet152 { get; } = new(true, 64, new[] { 3, 8, 36, 3 });

    /// <summary>Channels a block of stage <paramref name="stage"/> (0-3) outputs.</summary>
    public int StageChannels(int stage) => (Width << stage) * (Bottleneck ? 4 : 1);

    internal void Validate()
    {
        if (Width < 1) throw new ArgumentOutOfRangeException(nameof(Width), Width, "A ResNet's width must be positive.");
        if (Blocks is null || Blocks.Count != 4 || Blocks.Any(b => b < 1))
            throw new ArgumentException("A ResNet needs four stages with at least one block each.", nameof(Blocks));
    }

    /// <summary>Compact text form, e.g. <c>bottleneck:64:3-8-36-3</c> (padding excluded).</summary>
    public string Describe() => $"{(Bottleneck ? "bottleneck" : "basic")}:{Width}:{string.Join("-", Blocks)}";

    /// <summary>Parses <see cref="Describe"/>'s form.</summary>
    public static ResNetLayout Parse(string block, string width, string blocks, ResNetPadding padding)
    {
        bool bottleneck = block switch
        {
            "bottleneck" => true,
            "basic" => false,
            _ => throw new InvalidDataException($"ResNet block type '{block}' is unknown (basic or bottleneck)."),
        };
        if (!int.TryParse(width, out int w)) throw new InvalidDataException($"ResNet width '{width}' is not a number.");
        var counts = blocks.Split('-').Select(s => int.TryParse(s, out int n) ? n : throw new InvalidDataException($"ResNet block counts '{blocks}' are not numbers.")).ToArray();
        var layout = new ResNetLayout(bottleneck, w, counts, padding);
        layout.Validate();
        return layout;
    }
}
