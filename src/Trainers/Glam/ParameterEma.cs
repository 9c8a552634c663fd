using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Exponential moving average of a module's parameters (not its BatchNorm buffers), as MirrorGAN keeps for G
/// (decay 0.999; samples and checkpoints use the average). Lives on the module's device.
/// </summary>
internal sealed class ParameterEma : IDisposable
{
    private readonly List<(Tensor Live, Tensor Average)> _pairs;
    private readonly double _decay;

    public ParameterEma(nn.Module module, double decay = 0.999)
    {
        if (decay is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1).");
        _decay = decay;
        using var noGrad = torch.no_grad();
        _pairs = module.parameters().Select(p => ((Tensor)p, p.detach().clone())).ToList();
    }

    /// <summary>average ← decay·average + (1 − decay)·parameter.</summary>
    /// <param name="step">
    /// With a step number, the decay is min(decay, (1 + step)/(10 + step)) (TensorFlow's num_updates rule): early averages
    /// follow the weights closely instead of staying near the random initialisation, which matters for runs of a few
    /// hundred steps. Null: the constant decay, as MirrorGAN.
    /// </param>
    public void Update(int? step = null)
    {
        double decay = step is { } t ? Math.Min(_decay, (1.0 + t) / (10.0 + t)) : _decay;
        using var noGrad = torch.no_grad();
        foreach (var (live, avg) in _pairs) avg.mul_(decay).add_(live, alpha: 1 - decay);
    }

    /// <summary>Copies the averages into the module until the returned scope is disposed (then restores the live weights).</summary>
    public IDisposable Apply()
    {
        using var noGrad = torch.no_grad();
        var saved = _pairs.Select(p => p.Live.detach().clone()).ToList();
        foreach (var (live, avg) in _pairs) live.copy_(avg);
        return new Restore(_pairs, saved);
    }

    /// <summary>The averaged tensors, in <c>parameters()</c> order (for checkpoints).</summary>
    public IReadOnlyList<Tensor> Averages => _pairs.Select(p => p.Average).ToList();

    public void Dispose()
    {
        foreach (var (_, avg) in _pairs) avg.Dispose();
    }

    private sealed class Restore : IDisposable
    {
        private readonly List<(Tensor Live, Tensor Average)> _pairs;
        private readonly List<Tensor> _saved;

        public Restore(List<(Tensor Live, Tensor Average)> pairs, List<Tensor> saved)
        {
            _pairs = pairs;
            _saved = saved;
        }

        public void Dispose()
        {
            using var noGrad = torch.no_grad();
            for (int i = 0; i < _pairs.Count; i++)
            {
                _pairs[i].Live.copy_(_saved[i]);
                _saved[i].Dispose();
            }
        }
    }
}
