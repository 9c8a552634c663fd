using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// A small CNN for Fashion-MNIST: three conv(3×3) → BatchNorm → ReLU → max-pool blocks (16, 32, 64 channels;
/// 32→16→8→4 px), a 128-unit hidden layer (the features <see cref="FashionMnistClassifier"/> gives for Fréchet
/// distances) and 10 logits. Input: N×1×32×32 grey in [−1, 1], i.e. the 28×28 photo with a 2-px black border,
/// which is the Fashion-MNIST loader's framing (padding 1/16 of the side) at 32 px.
/// </summary>
public sealed class FashionMnistClassifierNet : nn.Module<Tensor, Tensor>
{
    /// <summary>Side of the network's input.</summary>
    public const int InputSize = 32;

    /// <summary>Length of <see cref="Features"/>.</summary>
    public const int FeatureSize = 128;

    private readonly nn.Module<Tensor, Tensor> _trunk, _hidden, _head;

    /// <summary>Creates the network with PyTorch's default initialisation.</summary>
    public FashionMnistClassifierNet() : base(TorchRuntime.Loaded(nameof(FashionMnistClassifierNet)))
    {
        _trunk = nn.Sequential(
            Block(1, 16), Block(16, 32), Block(32, 64), nn.Flatten());
        _hidden = nn.Sequential(nn.Dropout(0.3), nn.Linear(64 * 4 * 4, FeatureSize), nn.ReLU());
        _head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FeatureSize, 10));
        RegisterComponents();
    }

    private static nn.Module<Tensor, Tensor> Block(long input, long output) => nn.Sequential(
        nn.Conv2d(input, output, 3, padding: 1, bias: false), nn.BatchNorm2d(output), nn.ReLU(), nn.MaxPool2d(2));

    /// <summary>The 128 penultimate activations of N×1×32×32 inputs.</summary>
    public Tensor Features(Tensor x) => _hidden.call(_trunk.call(x));

    /// <summary>The 10 logits of N×1×32×32 inputs.</summary>
    public override Tensor forward(Tensor x) => _head.call(Features(x));

    /// <summary>
    /// Turns N×3×S×S RGB in [−1, 1] into the network's N×1×32×32 grey input: channel mean, then 2×2…k×k average
    /// pooling when S is a multiple of 32 (what downsampling a 64-px render should do: no aliasing) or bilinear resize.
    /// </summary>
    public static Tensor Preprocess(Tensor rgb)
    {
        var grey = rgb.mean(new long[] { 1 }, keepdim: true);
        long s = grey.shape[2];
        if (s == InputSize) return grey;
        if (s > InputSize && s % InputSize == 0) return nn.functional.avg_pool2d(grey, s / InputSize);
        return nn.functional.interpolate(grey, new long[] { InputSize, InputSize }, mode: InterpolationMode.Bilinear, align_corners: false);
    }
}
