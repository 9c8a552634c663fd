using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>One generator input of a recalibration pass: noise z (B×Z), CA noise ε (B×c) and the caption features.</summary>
internal sealed record RecalibrationInput(Tensor Z, Tensor Eps, Tensor Sentence, Tensor Words, Tensor? Mask);

/// <summary>
/// Re-estimates the BatchNorm statistics of the EMA generator ("standing statistics", as BigGAN): the running means and
/// variances a trained G carries were collected by the live weights, and the EMA weights produce other activations, so
/// in eval mode every BatchNorm of the average normalises with the wrong statistics. Runs training batches through the
/// averaged G in train mode without gradients and keeps the exact mean of their batch statistics.
/// </summary>
internal static class EmaBatchNormRecalibration
{
    /// <summary>
    /// Recalibrates <paramref name="generator"/> in place on <paramref name="batches"/> random training batches and leaves
    /// it in eval mode: a pure function of its weights, the data and the seed (torch's global generator is not drawn from).
    /// </summary>
    public static void Run(MirrorGanGeneratorNet generator, GlamTrainingData data, int batches, int batchSize, Device device, int seed) =>
        Run(generator, Inputs(generator.Options, data, batches, Math.Min(batchSize, data.Count), device, seed));

    /// <summary>Recalibrates on the given inputs, each created lazily inside its own dispose scope.</summary>
    internal static void Run(MirrorGanGeneratorNet generator, IEnumerable<RecalibrationInput> inputs)
    {
        var norms = generator.modules().OfType<BatchNorm>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        generator.train();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var n in norms) n.reset_running_stats();
            using var e = inputs.GetEnumerator();
            for (int k = 0; ; k++)
            {
                using var scope = torch.NewDisposeScope();
                if (!e.MoveNext()) break;
                // running ← (1 − m)·running + m·batch with m = 1/(k+1) keeps the plain average of the k+1 batches seen.
                foreach (var n in norms) n.momentum = 1.0 / (k + 1);
                var x = e.Current;
                generator.Generate(x.Z, x.Eps, x.Sentence, x.Words, x.Mask);
            }
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
            generator.eval();
        }
    }

    private static IEnumerable<RecalibrationInput> Inputs(GlamNetworkOptions network, GlamTrainingData data, int batches, int b, Device device, int seed)
    {
        var rng = new Random(seed);
        using var noise = new torch.Generator((ulong)(uint)seed, device);
        for (int k = 0; k < batches; k++)
        {
            var rows = Enumerable.Range(0, b).Select(_ => rng.Next(data.Count)).ToArray();
            var batch = data.Batch(rows, device);
            yield return new RecalibrationInput(
                torch.randn(new long[] { b, network.ZDim }, generator: noise, device: device),
                torch.randn(new long[] { b, network.ConditionDim }, generator: noise, device: device),
                batch.Sentence, batch.Words, batch.Mask);
        }
    }
}
