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

/// <summary>
/// A training loss, or a weight before a checkpoint write, became NaN or infinite; training stopped and the last good
/// checkpoint was kept.
/// </summary>
public sealed class MirrorGanTrainingException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public MirrorGanTrainingException(int iteration, string term, double value, string? checkpoint)
        : base((term.Contains('.', StringComparison.Ordinal)
                   ? $"MirrorGanTrainer: the weight '{term}' holds NaN or infinite values after iteration {iteration} (its losses were finite); training stopped before writing a checkpoint. "
                   : $"MirrorGanTrainer: the loss term '{term}' is {value} at iteration {iteration}; training stopped. ") +
               (checkpoint is null ? "No checkpoint was configured. " : $"The last good checkpoint is kept at '{checkpoint}'. ") +
               "Lower the learning rates or λ (StreamWeight), or check the data for broken images.")
    {
        Iteration = iteration;
        Term = term;
        Value = value;
    }

    /// <summary>The iteration (0-based) whose loss was not finite.</summary>
    public int Iteration { get; }

    /// <summary>
    /// Which loss term: <c>D{stage}</c>, <c>G_adversarial</c>, <c>stream</c> or <c>KL</c>; or, when the losses were
    /// finite but the weights were not (found before a checkpoint write, which is then skipped), the weight's name,
    /// e.g. <c>G.init.fc.weight</c> or <c>D0.img_code.conv0.weight</c>.
    /// </summary>
    public string Term { get; }

    /// <summary>The value (NaN or ±∞).</summary>
    public double Value { get; }
}
