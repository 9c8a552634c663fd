namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// The image trunk an estimator builds (<c>TextEmbedOptions.Backbone</c>, <c>StreamCaptionerOptions.Backbone</c>), as typed
/// options. A saved model records only <see cref="Kind"/>; <see cref="FromKind"/> reads that form back (and command lines).
/// </summary>
public abstract record ImageBackboneOptions
{
    private protected ImageBackboneOptions()
    {
    }

    /// <summary>The saved form, e.g. <c>small-cnn:64:32</c> (what <see cref="ImageBackbones.Create"/> builds from).</summary>
    public abstract string Kind { get; }

    /// <summary>Builds the trunk these options describe (weights random or zero until trained or loaded).</summary>
    public ImageBackbone Create() => ImageBackbones.Create(Kind);

    /// <summary>
    /// The options for a saved kind string: the built-in kinds as their typed options, a kind registered with
    /// <see cref="ImageBackbones.Register"/> as <see cref="RegisteredBackboneOptions"/>. Throws, naming the expected forms,
    /// for a malformed built-in kind.
    /// </summary>
    /// <param name="kind">A kind, e.g. <c>small-cnn:64:16:flat</c>, <c>resnet18-imagenet</c>, <c>inception-v3</c>.</param>
    public static ImageBackboneOptions FromKind(string kind)
    {
        if (string.IsNullOrWhiteSpace(kind)) throw new ArgumentException("A backbone kind is required, e.g. \"small-cnn:64:32\".", nameof(kind));
        switch (kind.Split(':')[0])
        {
            case "small-cnn":
                var s = SmallCnnBackbone.FromKind(kind);
                return new SmallCnnBackboneOptions { InputSize = s.InputSize, Width = s.Width, FlatGlobal = s.FlatGlobal };
            case ResNetBackbone.ResNet18ImageNetKind:
                return new ResNet18ImageNetBackboneOptions();
            case "resnet":
                var parts = kind.Split(':');
                var layout = ResNetBackbone.FromKind(kind).Layout;
                return new ResNetBackboneOptions { Bottleneck = layout.Bottleneck, Width = layout.Width, Blocks = layout.Blocks.ToArray(), InputSize = int.Parse(parts[4], System.Globalization.CultureInfo.InvariantCulture) };
            case InceptionV3Backbone.KindPrefix:
                return new InceptionV3BackboneOptions { WidthDivisor = InceptionV3Backbone.FromKind(kind).WidthDivisor };
            default:
                return new RegisteredBackboneOptions(kind);
        }
    }

    /// <inheritdoc/>
    public sealed override string ToString() => Kind;
}

/// <summary>The small CNN trained from scratch (the tiny presets' trunk).</summary>
public sealed record SmallCnnBackboneOptions : ImageBackboneOptions
{
    /// <summary>Side images are resized to before the first convolution.</summary>
    public int InputSize { get; init; } = 64;

    /// <summary>Channels of the first convolution (doubling per stage).</summary>
    public int Width { get; init; } = 32;

    /// <summary>The global feature flattens the last map instead of average-pooling it (keeps where things are).</summary>
    public bool FlatGlobal { get; init; }

    /// <inheritdoc/>
    public override string Kind => $"small-cnn:{InputSize}:{Width}" + (FlatGlobal ? ":flat" : "");
}

/// <summary>ML.NET's ImageNet ResNet-18 (frozen; weights from <c>MirrorGanBackbones.RegisterResNet18()</c> in the ONNX assembly).</summary>
public sealed record ResNet18ImageNetBackboneOptions : ImageBackboneOptions
{
    /// <inheritdoc/>
    public override string Kind => ResNetBackbone.ResNet18ImageNetKind;
}

/// <summary>A torchvision-layout ResNet (frozen; weights imported, e.g. the STREAM encoder's ResNet-152).</summary>
public sealed record ResNetBackboneOptions : ImageBackboneOptions
{
    /// <summary>Bottleneck blocks (ResNet-50/101/152) or basic blocks (ResNet-18/34).</summary>
    public bool Bottleneck { get; init; } = true;

    /// <summary>Channels of the first stage's blocks (64 in torchvision).</summary>
    public int Width { get; init; } = 64;

    /// <summary>Blocks per stage (ResNet-152: 3, 8, 36, 3).</summary>
    public IReadOnlyList<int> Blocks { get; init; } = new[] { 3, 8, 36, 3 };

    /// <summary>Side images are resized to (224 in the original).</summary>
    public int InputSize { get; init; } = 224;

    /// <inheritdoc/>
    public override string Kind => $"resnet:{(Bottleneck ? "bottleneck" : "basic")}:{Width}:{string.Join("-", Blocks)}:{InputSize}";
}

/// <summary>AttnGAN's DAMSM Inception-v3 trunk (frozen; weights imported from <c>image_encoder*.pth</c>).</summary>
public sealed record InceptionV3BackboneOptions : ImageBackboneOptions
{
    /// <summary>Divides every layer's width (1: the real network; larger values make test-sized copies).</summary>
    public int WidthDivisor { get; init; } = 1;

    /// <inheritdoc/>
    public override string Kind => WidthDivisor == 1 ? InceptionV3Backbone.KindPrefix : $"{InceptionV3Backbone.KindPrefix}:{WidthDivisor}";
}

/// <summary>A trunk registered by another assembly with <see cref="ImageBackbones.Register"/>, named by its kind.</summary>
/// <param name="RegisteredKind">The kind, starting with the registered prefix.</param>
public sealed record RegisteredBackboneOptions(string RegisteredKind) : ImageBackboneOptions
{
    /// <inheritdoc/>
    public override string Kind => RegisteredKind;
}
