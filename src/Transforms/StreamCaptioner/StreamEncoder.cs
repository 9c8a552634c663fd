using Microsoft.ML.MirrorGan.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>
/// STREAM's image encoder: a CNN trunk (<see cref="ImageBackbone"/>) → Linear → BatchNorm1d (momentum 0.01, as the
/// original). Input: images B×3×H×W in [−1, 1]. Any preprocessing the trunk needs (resizing, ImageNet
/// normalisation for pretrained trunks) happens inside the trunk, differentiably, so pretraining, captioning and
/// the GAN-time caption loss all feed images through the same path (the original pretrained with ImageNet
/// normalisation and then fed raw [−1, 1] generator output; here there is only one path).
/// The original projects only the globally pooled feature, which discards where things are; with
/// <see cref="RegionGrid"/> &gt; 0 the region map average-pooled to a grid×grid is concatenated to it first, so captions
/// can name positions (Shapes: "on the left", "at the top").
/// Output: B×<see cref="FeatureSize"/>, the feature fed to the decoder as its first input step.
/// </summary>
public sealed class StreamEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ImageBackbone backbone;
    private readonly Linear linear;
    private readonly BatchNorm1d bn;

    /// <summary>Creates the encoder around <paramref name="backbone"/>.</summary>
    /// <param name="backbone">The trunk (owned by the encoder from now on).</param>
    /// <param name="featureSize">Size of the projected feature (the decoder's embedding size).</param>
    /// <param name="batchNormMomentum">Momentum of the BatchNorm1d running statistics (0.01 in the original; short
    /// trainings want more, or the eval-mode statistics lag the weights).</param>
    /// <param name="regionGrid">0: the pooled global feature only (the original); n &gt; 0: also the region map pooled to n×n.</param>
    public StreamEncoder(ImageBackbone backbone, int featureSize, double batchNormMomentum = 0.01, int regionGrid = 0) : base(TorchRuntime.Loaded(nameof(StreamEncoder)))
    {
        this.backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        if (featureSize < 1) throw new ArgumentOutOfRangeException(nameof(featureSize), featureSize, "featureSize must be positive.");
        if (regionGrid < 0) throw new ArgumentOutOfRangeException(nameof(regionGrid), regionGrid, "regionGrid must be 0 (off) or positive.");
        FeatureSize = featureSize;
        RegionGrid = regionGrid;
        linear = nn.Linear(backbone.GlobalChannels + backbone.RegionChannels * regionGrid * regionGrid, featureSize);
        bn = nn.BatchNorm1d(featureSize, momentum: batchNormMomentum);
        RegisterComponents();
    }

    /// <summary>Size of the output feature.</summary>
    public int FeatureSize { get; }

    /// <summary>Side of the pooled region grid added to the global feature (0: none).</summary>
    public int RegionGrid { get; }

    /// <summary>The trunk.</summary>
    public ImageBackbone Backbone => backbone;

    /// <summary>The parameters that pretraining updates (all of them unless the trunk is frozen).</summary>
    public IEnumerable<Parameter> TrainableParameters() =>
        backbone.IsFrozen ? linear.parameters().Concat(bn.parameters()) : parameters();

    /// <inheritdoc/>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var (regions, global) = backbone.call(images);
        var x = RegionGrid == 0
            ? global
            : torch.cat(new[] { global, nn.functional.adaptive_avg_pool2d(regions, new long[] { RegionGrid, RegionGrid }).flatten(1) }, 1);
        return bn.call(linear.call(x)).MoveToOuterDisposeScope();
    }
}
