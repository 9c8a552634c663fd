using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// A CNN trunk shared by the DAMSM image encoder (STEM pretraining, R-precision) and the STREAM captioner's
/// encoder. Input: images B×3×H×W in [−1, 1] (the generator's range); any preprocessing a pretrained trunk
/// needs (ImageNet normalisation, resizing) happens inside, differentiably, so generated images go through
/// exactly the same path as real ones.
/// Output: <c>Regions</c> B×<see cref="RegionChannels"/>×h×w (an intermediate map, for word-level attention)
/// and <c>Global</c> B×<see cref="GlobalChannels"/> (pooled).
/// </summary>
public abstract class ImageBackbone : nn.Module<Tensor, (Tensor Regions, Tensor Global)>
{
    /// <summary>Creates the module.</summary>
    protected ImageBackbone(string name) : base(TorchRuntime.Loaded(name)) { }

    /// <summary>Channels of the region map.</summary>
    public abstract int RegionChannels { get; }

    /// <summary>Channels of the pooled global feature.</summary>
    public abstract int GlobalChannels { get; }

    /// <summary>Whether the trunk's weights are frozen (pretrained backbones).</summary>
    public abstract bool IsFrozen { get; }

    /// <summary>A short name saved with models so that loading rebuilds the same trunk.</summary>
    public abstract string Kind { get; }
}
