using Microsoft.ML.MirrorGan.Backbones;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>Builds the captioner's CNN trunk from its saved <see cref="ImageBackbone.Kind"/>.</summary>
public static class StreamBackbones
{
    /// <summary>Rebuilds a trunk from a kind string (<c>small-cnn:&lt;size&gt;:&lt;width&gt;</c>, <c>resnet18-imagenet</c>, <c>resnet:…</c>; see <see cref="ImageBackbones"/>).</summary>
    public static ImageBackbone Create(string kind)
    {
        if (kind is null) throw new ArgumentNullException(nameof(kind));
        // One registry for every trunk (small CNN, ResNet-18 ImageNet, imported ResNets), shared with the DAMSM encoder.
        return ImageBackbones.Create(kind);
    }
}
