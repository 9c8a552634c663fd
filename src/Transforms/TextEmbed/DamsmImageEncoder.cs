using Microsoft.ML.MirrorGan.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>
/// DAMSM image encoder (AttnGAN's <c>CNN_ENCODER</c>): a CNN trunk (<see cref="ImageBackbone"/>) and two learned
/// projections into the text feature space: a 1×1 convolution without bias for the region map (D×R regions,
/// R = h·w) and a linear layer for the pooled global feature (D). Both are initialised U(−0.1, 0.1) (weights only).
/// A frozen trunk runs without gradients and stays in evaluation mode.
/// </summary>
public sealed class DamsmImageEncoder : nn.Module<Tensor, (Tensor Regions, Tensor Global)>
{
    private readonly ImageBackbone backbone;
    private readonly Conv2d emb_features;
    private readonly Linear emb_cnn_code;

    /// <summary>Creates the encoder around <paramref name="backbone"/>.</summary>
    /// <param name="backbone">The trunk (images in [−1, 1]).</param>
    /// <param name="featureSize">D, the text encoder's feature size.</param>
    public DamsmImageEncoder(ImageBackbone backbone, int featureSize) : base(TorchRuntime.Loaded(nameof(DamsmImageEncoder)))
    {
        this.backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        if (featureSize < 1) throw new ArgumentOutOfRangeException(nameof(featureSize), featureSize, "featureSize must be positive.");
        FeatureSize = featureSize;
        emb_features = nn.Conv2d(backbone.RegionChannels, featureSize, 1, bias: false);
        emb_cnn_code = nn.Linear(backbone.GlobalChannels, featureSize);
        RegisterComponents();
        using (torch.no_grad())
        {
            nn.init.uniform_(emb_features.weight!, -0.1, 0.1);
            nn.init.uniform_(emb_cnn_code.weight!, -0.1, 0.1);
        }
        if (backbone.IsFrozen)
            foreach (var p in backbone.parameters()) p.requires_grad = false;
    }

    /// <summary>The trunk.</summary>
    public ImageBackbone Backbone => backbone;

    /// <summary>D.</summary>
    public int FeatureSize { get; }

    /// <summary>The parameters that training updates (the projections, and the trunk unless it is frozen).</summary>
    public IEnumerable<Parameter> TrainableParameters => parameters().Where(p => p.requires_grad);

    /// <summary>Encodes images B×3×H×W in [−1, 1] into regions B×D×R and global features B×D.</summary>
    public override (Tensor Regions, Tensor Global) forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        Tensor maps, pooled;
        if (backbone.IsFrozen)
        {
            backbone.eval();
            using var noGrad = torch.no_grad();
            (maps, pooled) = backbone.call(images);
        }
        else
        {
            (maps, pooled) = backbone.call(images);
        }
        var regions = emb_features.call(maps).flatten(2);
        var global = emb_cnn_code.call(pooled);
        return (regions.MoveToOuterDisposeScope(), global.MoveToOuterDisposeScope());
    }
}
