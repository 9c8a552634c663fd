namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// Rebuilds an <see cref="ImageBackbone"/> from its <see cref="ImageBackbone.Kind"/> string, so a saved model
/// records only the kind and loading recreates the same trunk before reading its weights. Backbones other than
/// <see cref="SmallCnnBackbone"/> (pretrained ResNet-18, imported Inception-v3) register a factory for their prefix.
/// </summary>
public static class ImageBackbones
{
    private static readonly Dictionary<string, Func<string, ImageBackbone>> Factories = new(StringComparer.Ordinal)
    {
        ["small-cnn"] = SmallCnnBackbone.FromKind,
        // The architecture only; weights come from the model being loaded, or from a factory registered by the
        // Onnx assembly (MirrorGanBackbones.RegisterResNet18) that converts ML.NET's ONNX ResNet-18.
        [ResNetBackbone.ResNet18ImageNetKind] = ResNetBackbone.FromKind,
        ["resnet"] = ResNetBackbone.FromKind,
        // AttnGAN's DAMSM trunk; weights come from PyTorchImport.LoadImageEncoder or a saved model.
        [InceptionV3Backbone.KindPrefix] = InceptionV3Backbone.FromKind,
    };

    /// <summary>Registers (or replaces) the factory for kinds starting with <paramref name="prefix"/> followed by ':' or nothing.</summary>
    public static void Register(string prefix, Func<string, ImageBackbone> factory)
    {
        if (string.IsNullOrWhiteSpace(prefix)) throw new ArgumentException("A backbone kind prefix is required.", nameof(prefix));
        lock (Factories) Factories[prefix] = factory ?? throw new ArgumentNullException(nameof(factory));
    }

    /// <summary>The kind prefixes a factory is registered for (tests check each one's ONNX export).</summary>
    internal static IReadOnlyList<string> Prefixes
    {
        get
        {
            lock (Factories) return Factories.Keys.ToArray();
        }
    }

    /// <summary>Creates the trunk described by <paramref name="kind"/> (e.g. <c>small-cnn:64:32</c>).</summary>
    public static ImageBackbone Create(string kind)
    {
        if (string.IsNullOrWhiteSpace(kind)) throw new ArgumentException("A backbone kind is required, e.g. \"small-cnn:64:32\".", nameof(kind));
        string prefix = kind.Split(':')[0];
        Func<string, ImageBackbone>? factory;
        lock (Factories) Factories.TryGetValue(prefix, out factory);
        if (factory is null)
            throw new ArgumentException($"Backbone kind '{kind}' is unknown (known prefixes: {string.Join(", ", Factories.Keys)}). " +
                "Reference the assembly that provides it and call ImageBackbones.Register first.", nameof(kind));
        return factory(kind);
    }
}
