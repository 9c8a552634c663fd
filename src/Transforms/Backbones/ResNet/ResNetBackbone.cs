using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>What a <see cref="ResNetBackbone"/> does to images in [−1, 1] before its trunk.</summary>
public enum ResNetPreprocessing
{
    /// <summary>
    /// ML.NET's <c>ResNetPreprocess.onnx</c>, made differentiable: bilinear resize to 224, scale to 0–255, RGB → BGR and
    /// subtract the per-pixel mean image (a 3×224×224 buffer, <c>mean_image</c>).
    /// </summary>
    MeanImageBgr = 0,

    /// <summary>
    /// The original MirrorGAN/AttnGAN behaviour: only a bilinear resize to the input size (STREAM feeds [−1, 1] images
    /// to its ResNet-152 without ImageNet normalisation).
    /// </summary>
    ResizeOnly = 1,
}

/// <summary>
/// A frozen, pretrained ResNet trunk as an <see cref="ImageBackbone"/>: regions are the stage-3 map
/// (ResNet-18: 256×14×14 at 224 px; ResNet-152: 1024×14×14), the global feature is stage 4 averaged
/// (512 / 2048). Preprocessing is part of the module, so generated images take the same differentiable path as real
/// ones. Weights are buffers (frozen by construction) and are saved with the model.
/// <para>Kinds: <c>resnet18-imagenet</c> (ML.NET's ONNX ResNet-18; weights come from
/// <c>Microsoft.ML.MirrorGan.Onnx.MirrorGanBackbones.RegisterResNet18</c> or from a saved model) and
/// <c>resnet:&lt;basic|bottleneck&gt;:&lt;width&gt;:&lt;b1-b2-b3-b4&gt;:&lt;size&gt;</c> (torchvision layout, resize only,
/// weights imported from a PyTorch checkpoint).</para>
/// </summary>
public sealed class ResNetBackbone : ImageBackbone
{
    /// <summary>Kind of ML.NET's ImageNet ResNet-18.</summary>
    public const string ResNet18ImageNetKind = "resnet18-imagenet";

    private readonly ResNetTrunk trunk;
    private readonly Tensor? mean_image;

    /// <summary>Creates the trunk with zero weights (load them with the ONNX converter, a PyTorch import or a saved model).</summary>
    public ResNetBackbone(ResNetLayout layout, ResNetPreprocessing preprocessing, int inputSize = 224) : base(nameof(ResNetBackbone))
    {
        if (inputSize < 32) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "inputSize must be at least 32.");
        if (preprocessing == ResNetPreprocessing.MeanImageBgr && inputSize != 224)
            throw new ArgumentException("The mean-image preprocessing works at 224 px only (the size of its mean image).", nameof(inputSize));
        Preprocessing = preprocessing;
        InputSize = inputSize;
        trunk = new ResNetTrunk(layout);
        register_module(nameof(trunk), trunk);
        if (preprocessing == ResNetPreprocessing.MeanImageBgr)
        {
            mean_image = torch.zeros(1, 3, inputSize, inputSize).DetachFromDisposeScope();
            register_buffer(nameof(mean_image), mean_image);
        }
        RegionChannels = layout.StageChannels(2);
        GlobalChannels = layout.StageChannels(3);
    }

    /// <summary>ML.NET's ResNet-18 architecture (CNTK padding, mean-image preprocessing), weights not yet loaded.</summary>
    public static ResNetBackbone CreateResNet18ImageNet() => new(ResNetLayout.ResNet18Cntk, ResNetPreprocessing.MeanImageBgr);

    /// <summary>The trunk's layout.</summary>
    public ResNetLayout Layout => trunk.Layout;

    /// <summary>The preprocessing applied to [−1, 1] images.</summary>
    public ResNetPreprocessing Preprocessing { get; }

    /// <summary>The side images are resized to.</summary>
    public int InputSize { get; }

    /// <inheritdoc/>
    public override int RegionChannels { get; }

    /// <inheritdoc/>
    public override int GlobalChannels { get; }

    /// <inheritdoc/>
    public override bool IsFrozen => true;

    /// <inheritdoc/>
    public override string Kind => Preprocessing == ResNetPreprocessing.MeanImageBgr && ReferenceEquals(Layout, ResNetLayout.ResNet18Cntk)
        ? ResNet18ImageNetKind
        : Preprocessing == ResNetPreprocessing.ResizeOnly && Layout.Padding == ResNetPadding.Torchvision
            ? $"resnet:{Layout.Describe()}:{InputSize}"
            : throw new InvalidOperationException("This ResNet configuration has no kind string, so it cannot be saved with a model.");

    /// <summary>The mean image (BGR, 1×3×224×224) of <see cref="ResNetPreprocessing.MeanImageBgr"/>, else null.</summary>
    internal Tensor? MeanImage => mean_image;

    internal ResNetTrunk Trunk => trunk;

    /// <inheritdoc/>
    public override (Tensor Regions, Tensor Global) forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images;
        if (x.shape[2] != InputSize || x.shape[3] != InputSize)
            x = nn.functional.interpolate(x, new long[] { InputSize, InputSize }, mode: InterpolationMode.Bilinear, align_corners: false);
        if (mean_image is not null)
        {
            // A mean image of zeros means no weights were ever loaded: running would give confident garbage.
            if (mean_image.abs().max().item<float>() == 0f)
                throw new InvalidOperationException(
                    "The resnet18-imagenet backbone has no weights: call Microsoft.ML.MirrorGan.Onnx.MirrorGanBackbones.RegisterResNet18() " +
                    "(with the Microsoft.ML.DnnImageFeaturizer.ResNet18 package referenced) before creating it, or load a saved model.");
            x = (x + 1) * 127.5;                           // [−1, 1] → 0–255, what the ONNX preprocessing expects
            x = x.flip(1) - mean_image;                    // RGB → BGR, then the per-pixel mean
        }
        var (regions, pooled) = trunk.call(x);
        return (regions.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    /// <summary>Rebuilds a backbone from its <see cref="Kind"/> (weights zero until loaded).</summary>
    public static ResNetBackbone FromKind(string kind)
    {
        if (kind == ResNet18ImageNetKind) return CreateResNet18ImageNet();
        var parts = kind.Split(':');
        if (parts.Length != 5 || parts[0] != "resnet" || !int.TryParse(parts[4], out int size))
            throw new InvalidDataException($"'{kind}' is not a ResNet backbone description (expected resnet18-imagenet or resnet:<basic|bottleneck>:<width>:<b1-b2-b3-b4>:<size>).");
        return new ResNetBackbone(ResNetLayout.Parse(parts[1], parts[2], parts[3], ResNetPadding.Torchvision), ResNetPreprocessing.ResizeOnly, size);
    }
}
