using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// A small CNN trained from scratch (default for the tiny preset, Shapes and Fashion-MNIST): the input is
/// resized to <see cref="InputSize"/>, then stride-2 conv blocks (conv3×3 → BatchNorm → LeakyReLU 0.2) halve it
/// until the region map is 8×8; one more block and global average pooling give the global feature.
/// </summary>
public sealed class SmallCnnBackbone : ImageBackbone
{
    private readonly Sequential trunk;
    private readonly Sequential head;

    /// <summary>Creates the trunk.</summary>
    /// <param name="inputSize">Square input side the trunk works at (a power of two, 16 to 256).</param>
    /// <param name="width">Channels of the first block; each later block doubles them, up to 8× width.</param>
    /// <param name="flatGlobal">
    /// Global feature from a linear layer over the flattened 4×4 head map instead of average pooling, so it can say
    /// <em>where</em> things are. DAMSM's sentence loss only asks the text encoder for what the global image feature can
    /// see: with average pooling the position words get no sentence-level signal (Shapes: captions differing only in the
    /// position kept sentence cosine 0.999 after 50 s of pretraining).
    /// </param>
    public SmallCnnBackbone(int inputSize = 64, int width = 32, bool flatGlobal = false) : base(nameof(SmallCnnBackbone))
    {
        if (inputSize < 16 || inputSize > 256 || (inputSize & (inputSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "inputSize must be a power of two from 16 to 256.");
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "width must be positive.");
        InputSize = inputSize;
        Width = width;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int channels = 3, size = inputSize, c = width, i = 0;
        while (size > 8)
        {
            layers.Add(($"conv{i}", nn.Conv2d(channels, c, 3, stride: 2, padding: 1, bias: false)));
            layers.Add(($"bn{i}", nn.BatchNorm2d(c)));
            layers.Add(($"act{i}", nn.LeakyReLU(0.2)));
            channels = c;
            c = Math.Min(c * 2, width * 8);
            size /= 2;
            i++;
        }
        trunk = nn.Sequential(layers);
        RegionChannels = channels;
        FlatGlobal = flatGlobal;
        var headLayers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv", nn.Conv2d(channels, channels * 2, 3, stride: 2, padding: 1, bias: false)),
            ("bn", nn.BatchNorm2d(channels * 2)),
            ("act", nn.LeakyReLU(0.2)),
        };
        if (flatGlobal)
        {
            headLayers.Add(("flat", nn.Flatten()));
            headLayers.Add(("linear", nn.Linear(channels * 2 * 4 * 4, channels * 2)));
        }
        else
        {
            headLayers.Add(("pool", nn.AdaptiveAvgPool2d(1)));
            headLayers.Add(("flat", nn.Flatten()));
        }
        head = nn.Sequential(headLayers);
        GlobalChannels = channels * 2;
        RegisterComponents();
    }

    /// <summary>Square input side.</summary>
    public int InputSize { get; }

    /// <summary>First-block channels.</summary>
    public int Width { get; }

    /// <summary>Whether the global feature is a linear map of the flattened head (position-aware) rather than its average.</summary>
    public bool FlatGlobal { get; }

    /// <inheritdoc/>
    public override int RegionChannels { get; }

    /// <inheritdoc/>
    public override int GlobalChannels { get; }

    /// <inheritdoc/>
    public override bool IsFrozen => false;

    /// <inheritdoc/>
    public override string Kind => $"small-cnn:{InputSize}:{Width}" + (FlatGlobal ? ":flat" : "");

    /// <inheritdoc/>
    public override (Tensor Regions, Tensor Global) forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images;
        if (x.shape[2] != InputSize || x.shape[3] != InputSize)
            x = nn.functional.interpolate(x, new long[] { InputSize, InputSize }, mode: InterpolationMode.Bilinear, align_corners: false);
        var regions = trunk.call(x);
        var global = head.call(regions);
        return (regions.MoveToOuterDisposeScope(), global.MoveToOuterDisposeScope());
    }

    /// <summary>Rebuilds a trunk from its <see cref="Kind"/> string.</summary>
    public static SmallCnnBackbone FromKind(string kind)
    {
        var parts = kind.Split(':');
        if (parts.Length is not (3 or 4) || parts[0] != "small-cnn" || !int.TryParse(parts[1], out int size) || !int.TryParse(parts[2], out int width)
            || (parts.Length == 4 && parts[3] != "flat"))
            throw new InvalidDataException($"'{kind}' is not a small-cnn backbone description (expected small-cnn:<size>:<width> or small-cnn:<size>:<width>:flat).");
        return new SmallCnnBackbone(size, width, parts.Length == 4);
    }
}
