namespace Microsoft.ML.MirrorGan;

/// <summary>
/// A pretraining loss (TextEmbed's DAMSM or the STREAM captioner's) became NaN or infinite; training stopped before the
/// optimiser applied it, so no weights were changed by that step. These two trainers write no checkpoints, so nothing
/// is returned: lower the learning rate (or set a gradient clip) and fit again. The GAN trainer throws
/// <see cref="Glam.MirrorGanTrainingException"/> instead, which also names the checkpoint it kept.
/// </summary>
public sealed class NonFiniteLossException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="trainer">The trainer, e.g. <c>TextEmbed (DAMSM)</c> or <c>StreamCaptioner</c>.</param>
    /// <param name="term">The loss term.</param>
    /// <param name="iteration">The 0-based optimisation step whose loss was not finite.</param>
    /// <param name="epoch">The 1-based epoch of that step.</param>
    /// <param name="value">The value (NaN or ±∞).</param>
    /// <param name="fix">What to change.</param>
    public NonFiniteLossException(string trainer, string term, int iteration, int epoch, double value, string fix)
        : base($"{trainer}: the loss term '{term}' is {value} at iteration {iteration} (epoch {epoch}); training stopped before the " +
               $"optimiser step, and no model was returned (this trainer writes no checkpoint). {fix}")
    {
        Trainer = trainer;
        Term = term;
        Iteration = iteration;
        Epoch = epoch;
        Value = value;
    }

    /// <summary>The trainer that stopped.</summary>
    public string Trainer { get; }

    /// <summary>The loss term: <c>word</c> or <c>sentence</c> (DAMSM), <c>caption</c> (STREAM).</summary>
    public string Term { get; }

    /// <summary>The 0-based optimisation step whose loss was not finite.</summary>
    public int Iteration { get; }

    /// <summary>The 1-based epoch of that step.</summary>
    public int Epoch { get; }

    /// <summary>The value (NaN or ±∞).</summary>
    public double Value { get; }
}
