using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// A convolution whose weight is a buffer, not a parameter: pretrained trunks are frozen, and keeping their weights
/// out of <c>parameters()</c> means no optimizer, EMA or gradient clipping can touch them by accident, while
/// gradients still flow through to the input (the generator needs that). Padding may be asymmetric
/// (top, left, bottom, right), because CNTK-exported graphs pad stride-2 layers only at the start.
/// </summary>
internal sealed class FrozenConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Tensor weight;
    private readonly long _stride;
    private readonly long[] _pads; // top, left, bottom, right

    public FrozenConv2d(long inChannels, long outChannels, long kernel, long stride, long[] pads) : base(nameof(FrozenConv2d))
    {
        if (pads.Length != 4) throw new ArgumentException("pads must be (top, left, bottom, right).", nameof(pads));
        // Buffers outlive any dispose scope the module is built in (modules do the same for their parameters).
        weight = torch.zeros(outChannels, inChannels, kernel, kernel).DetachFromDisposeScope();
        _stride = stride;
        _pads = pads;
        register_buffer(nameof(weight), weight);
    }

    /// <summary>The weight (out, in, k, k).</summary>
    public Tensor Weight => weight;

    public long Stride => _stride;

    public IReadOnlyList<long> Pads => _pads;

    public override Tensor forward(Tensor x)
    {
        bool symmetric = _pads[0] == _pads[2] && _pads[1] == _pads[3];
        if (symmetric)
            return nn.functional.conv2d(x, weight, null, strides: new[] { _stride, _stride }, padding: new[] { _pads[0], _pads[1] });
        // F.pad takes (left, right, top, bottom).
        var padded = nn.functional.pad(x, new[] { _pads[1], _pads[3], _pads[0], _pads[2] });
        return nn.functional.conv2d(padded, weight, null, strides: new[] { _stride, _stride });
    }
}

/// <summary>Batch normalisation with fixed statistics (always inference mode), all four tensors buffers.</summary>
internal sealed class FrozenBatchNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly Tensor weight;
    private readonly Tensor bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly double _eps;

    public FrozenBatchNorm2d(long channels, double eps = 1e-5) : base(nameof(FrozenBatchNorm2d))
    {
        weight = torch.ones(channels).DetachFromDisposeScope();
        bias = torch.zeros(channels).DetachFromDisposeScope();
        running_mean = torch.zeros(channels).DetachFromDisposeScope();
        running_var = torch.ones(channels).DetachFromDisposeScope();
        _eps = eps;
        register_buffer(nameof(weight), weight);
        register_buffer(nameof(bias), bias);
        register_buffer(nameof(running_mean), running_mean);
        register_buffer(nameof(running_var), running_var);
    }

    public Tensor Weight => weight;

    public Tensor Bias => bias;

    public Tensor RunningMean => running_mean;

    public Tensor RunningVar => running_var;

    public double Eps => _eps;

    public override Tensor forward(Tensor x) =>
        nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training: false, eps: _eps);
}
