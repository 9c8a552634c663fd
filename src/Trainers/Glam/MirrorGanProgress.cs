namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>Progress of <see cref="MirrorGanTrainer"/>, reported every <see cref="MirrorGanTrainerOptions.ReportEvery"/> iterations.</summary>
/// <param name="Iteration">Completed iterations (G steps), counted across resumes.</param>
/// <param name="Iterations">Iterations planned.</param>
/// <param name="Epoch">Epoch of the last step (0-based).</param>
/// <param name="DiscriminatorLosses">Each stage's D loss at the last step.</param>
/// <param name="GeneratorAdversarialLoss">Σ stages of G's adversarial terms (uncond + cond) at the last step.</param>
/// <param name="StreamLoss">L_stream (unweighted) at the last step.</param>
/// <param name="KlLoss">CA's KL term (unweighted) at the last step.</param>
/// <param name="GeneratorLoss">The total G loss that was minimised at the last step.</param>
/// <param name="ImagesPerSecond">Training throughput since this run (or resume) began.</param>
/// <param name="Elapsed">Training time of this run.</param>
/// <param name="Remaining">Estimated time to the last iteration (or to MaxTrainingTime when that comes first).</param>
public sealed record MirrorGanProgress(int Iteration, int Iterations, int Epoch, IReadOnlyList<double> DiscriminatorLosses,
    double GeneratorAdversarialLoss, double StreamLoss, double KlLoss, double GeneratorLoss, double ImagesPerSecond,
    TimeSpan Elapsed, TimeSpan Remaining)
{
    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        $"iter {Iteration}/{Iterations} epoch {Epoch} D [{string.Join(", ", DiscriminatorLosses.Select(d => d.ToString("F3")))}] " +
        $"G adv {GeneratorAdversarialLoss:F3} stream {StreamLoss:F3} KL {KlLoss:F3} total {GeneratorLoss:F3} | " +
        $"{ImagesPerSecond:F1} img/s, {Elapsed.TotalSeconds:F0} s, ETA {Remaining.TotalSeconds:F0} s";
}

