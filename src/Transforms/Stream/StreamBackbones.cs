using Microsoft.ML.MirrorGan.Backbones;

namespace Microsoft.ML.MirrorGan.Captioning;

/// <summary>Builds the captioner's CNN trunk from its saved <see cref="ImageBackbone.Kind"/>.</summary>
public static class StreamBackbones
{
    /// <summary>Rebuilds a trunk from a kind string (<c>small-cnn:&lt;size&gt;:&lt;width&gt;</c>).</summary>
    public static ImageBackbone Create(string kind)
    {
        if (kind is null) throw new ArgumentNullException(nameof(kind));
        if (kind.StartsWith("small-cnn:", StringComparison.Ordinal)) return SmallCnnBackbone.FromKind(kind);
        // Pretrained trunks (ResNet-18 frozen, imported ResNet-152) come with the backbones issue; they register here.
        throw new NotSupportedException(
            $"Backbone '{kind}' is not available in this build. Use a small CNN (StreamCaptionerOptions.Backbone = \"small-cnn:64:32\").");
    }
}
