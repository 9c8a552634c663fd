using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>G's output for a batch and the sentence feature the D heads see.</summary>
internal sealed record GlamForward(MirrorGanGeneration Generation, Tensor Sentence);

/// <summary>The losses of one training iteration, read back as doubles.</summary>
internal sealed record GlamStepLosses(double[] Discriminator, double Adversarial, double Stream, double Kl, double Generator);

/// <summary>
/// One MirrorGAN iteration (docs/paper-fidelity.md) on a length-sorted batch: z ~ N(0, I); one G forward; each stage's D updated on
/// (real, fake.detach(), real with the neighbour's caption); then L_G = Σ stages (uncond + cond) + λ·L_stream(final image)
/// + w_KL·KL, one Adam step; then G's EMA. Everything runs inside a dispose scope, so no tensor outlives the step.
/// </summary>
internal sealed class GlamStep
{
    private readonly GlamTrainingState _state;
    private readonly StreamCaptionLoss? _stream;
    private readonly double _lambda, _klWeight;

    // Held for the whole run rather than converted implicitly each step: short-lived native Scalars are a suspect in an
    // open TorchSharp crash on long runs (a finalizer freeing one still in use).
    private readonly Scalar _lambdaScalar, _klScalar;

    private readonly bool _emaWarmup;

    public GlamStep(GlamTrainingState state, StreamCaptionLoss? stream, double lambda, double klWeight, bool emaWarmup = false)
    {
        _emaWarmup = emaWarmup;
        _state = state;
        _stream = stream;
        _lambda = lambda;
        _klWeight = klWeight;
        _lambdaScalar = lambda.ToScalar();
        _klScalar = klWeight.ToScalar();
    }

    /// <summary>Test hook: replaces a loss term by name (<c>D0</c>, <c>adversarial</c>, <c>stream</c>, <c>KL</c>) before the checks.</summary>
    internal Func<string, Tensor, Tensor>? LossHook { get; set; }

    public GlamStepLosses Run(GlamBatch batch, int iteration)
    {
        using var scope = torch.NewDisposeScope();
        var forward = Forward(batch);
        var d = UpdateDiscriminators(forward, batch, iteration);
        var g = UpdateGenerator(forward, batch, iteration);
        return g with { Discriminator = d };
    }

    /// <summary>z ~ N(0, I) and one G pass (train mode); the caller owns the dispose scope.</summary>
    internal GlamForward Forward(GlamBatch batch)
    {
        var g = _state.Generator;
        g.train();
        foreach (var d in _state.Discriminators) d.train();
        var z = torch.randn(new long[] { batch.Real.shape[0], g.Options.ZDim }, device: batch.Real.device);
        return new GlamForward(g.call(z, batch.Sentence, batch.Words, batch.Mask), g.PrepareSentence(batch.Sentence));
    }

    /// <summary>Each stage's D: loss on (real, detached fake, wrong caption), backward, its own Adam step.</summary>
    internal double[] UpdateDiscriminators(GlamForward forward, GlamBatch batch, int iteration)
    {
        var fakes = forward.Generation.Output.Images;
        var dLosses = new double[fakes.Count];
        for (int i = 0; i < fakes.Count; i++)
        {
            var real = RealAt(batch.Real, fakes[i].shape[2]);
            var dLoss = Hook($"D{i}", GlamLosses.Discriminator(_state.Discriminators[i], real, fakes[i].detach(), forward.Sentence));
            dLosses[i] = Check(dLoss, $"D{i}", iteration);
            _state.DiscriminatorOptimizers[i].zero_grad();
            dLoss.backward();
            _state.DiscriminatorOptimizers[i].step();
        }
        return dLosses;
    }

    /// <summary>L_G = Σ stages (uncond + cond) + λ·L_stream(final image) + w_KL·KL; G's Adam step; EMA update.</summary>
    internal GlamStepLosses UpdateGenerator(GlamForward forward, GlamBatch batch, int iteration)
    {
        var gen = forward.Generation;
        var fakes = gen.Output.Images;
        Tensor adversarial = GlamLosses.GeneratorAdversarial(_state.Discriminators[0], fakes[0], forward.Sentence);
        for (int i = 1; i < fakes.Count; i++) adversarial = adversarial + GlamLosses.GeneratorAdversarial(_state.Discriminators[i], fakes[i], forward.Sentence);
        adversarial = Hook("adversarial", adversarial);
        var kl = Hook("KL", ConditioningAugmentation.KlLoss(gen.Mu, gen.LogVar));
        var total = adversarial + kl.mul(_klScalar);
        double streamValue = 0;
        if (_stream is not null && _lambda > 0)
        {
            var stream = Hook("stream", _stream.Compute(fakes[^1], batch.Tokens, batch.Lengths));
            streamValue = Check(stream, "stream", iteration);
            total = total + stream.mul(_lambdaScalar);
        }
        double adv = Check(adversarial, "G_adversarial", iteration), klValue = Check(kl, "KL", iteration);
        _state.GeneratorOptimizer.zero_grad();
        total.backward();
        _state.GeneratorOptimizer.step();
        _state.Ema.Update(_emaWarmup ? iteration : null);
        return new GlamStepLosses(Array.Empty<double>(), adv, streamValue, klValue, adv + _klWeight * klValue + _lambda * streamValue);
    }

    private Tensor Hook(string name, Tensor t) => LossHook is null ? t : LossHook(name, t);

    /// <summary>The real images at a stage's side: average-pooled from the final size (exact ×2 steps).</summary>
    private static Tensor RealAt(Tensor real, long side)
    {
        long factor = real.shape[2] / side;
        return factor == 1 ? real : nn.functional.avg_pool2d(real, new long[] { factor, factor });
    }

    private static double Check(Tensor loss, string term, int iteration)
    {
        double v = loss.item<float>();
        // The trainer rethrows it with the checkpoint it kept.
        if (!double.IsFinite(v)) throw NonFiniteLossException.Gan(iteration, term, v, null);
        return v;
    }
}
