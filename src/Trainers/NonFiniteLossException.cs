namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Training stopped because a loss term (or, in the GAN trainer, a weight before a checkpoint write) became NaN or
/// infinite. The one divergence error of all three trainers: TextEmbed's DAMSM and the STREAM captioner stop before the
/// optimiser applies the step and return no model (they write no checkpoints); <c>MirrorGanTrainer</c> stops and names
/// the last good checkpoint it kept (<see cref="Checkpoint"/>), from which training resumes.
/// </summary>
public sealed class NonFiniteLossException : InvalidOperationException
{
    private NonFiniteLossException(string message, string trainer, string term, int iteration, int? epoch, double value, string? checkpoint)
        : base(message)
    {
        Trainer = trainer;
        Term = term;
        Iteration = iteration;
        Epoch = epoch;
        Value = value;
        Checkpoint = checkpoint;
    }

    /// <summary>The trainer that stopped, e.g. <c>TextEmbed (DAMSM pretraining)</c>, <c>StreamCaptioner (STREAM pretraining)</c>, <c>MirrorGanTrainer</c>.</summary>
    public string Trainer { get; }

    /// <summary>
    /// The loss term: <c>word</c> or <c>sentence</c> (DAMSM), <c>caption</c> (STREAM), <c>D{stage}</c>, <c>G_adversarial</c>,
    /// <c>stream</c> or <c>KL</c> (GAN); or, when the GAN's losses were finite but a weight was not (found before a
    /// checkpoint write, which is then skipped), the weight's name, e.g. <c>G.init.fc.weight</c>.
    /// </summary>
    public string Term { get; }

    /// <summary>The 0-based optimisation step whose loss (or resulting weights) was not finite.</summary>
    public int Iteration { get; }

    /// <summary>The 1-based epoch of that step for the pretraining trainers; null for the GAN trainer, which counts iterations.</summary>
    public int? Epoch { get; }

    /// <summary>The value (NaN or ±∞; NaN for a weight).</summary>
    public double Value { get; }

    /// <summary>The last good checkpoint the GAN trainer kept, or null (no checkpoint configured, or a pretraining trainer).</summary>
    public string? Checkpoint { get; }

    /// <summary>A pretraining loss (no checkpoint; nothing returned).</summary>
    internal static NonFiniteLossException Pretraining(string trainer, string term, int iteration, int epoch, double value, string fix) =>
        new($"{trainer}: the loss term '{term}' is {value} at iteration {iteration} (epoch {epoch}); training stopped before the " +
            $"optimiser step, and no model was returned (this trainer writes no checkpoint). {fix}",
            trainer, term, iteration, epoch, value, null);

    /// <summary>A GAN loss term, or a weight (a name with a dot), with the checkpoint that was kept.</summary>
    internal static NonFiniteLossException Gan(int iteration, string term, double value, string? checkpoint) =>
        new((term.Contains('.', StringComparison.Ordinal)
                ? $"MirrorGanTrainer: the weight '{term}' holds NaN or infinite values after iteration {iteration} (its losses were finite); training stopped before writing a checkpoint. "
                : $"MirrorGanTrainer: the loss term '{term}' is {value} at iteration {iteration}; training stopped. ") +
            (checkpoint is null ? "No checkpoint was configured. " : $"The last good checkpoint is kept at '{checkpoint}'. ") +
            "Lower the learning rates or λ (StreamWeight), or check the data for broken images.",
            "MirrorGanTrainer", term, iteration, null, value, checkpoint);
}
