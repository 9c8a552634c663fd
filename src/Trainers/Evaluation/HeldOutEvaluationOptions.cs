using Microsoft.ML.MirrorGan.StreamCaptioner;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>What <see cref="HeldOutEvaluation"/> computes besides the scores every run gets, and where it writes its gallery.</summary>
public sealed class HeldOutEvaluationOptions
{
    /// <summary>
    /// Seed N: prompt i of a set is generated with seed N + i (one noise draw per image; a single shared draw would judge the
    /// set on one z). It also seeds the R-precision folds and the drawn held-out scenes. Default 1.
    /// </summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// A captioner trained apart from the one the generator was trained against (other seed, trunk and image side): its
    /// re-caption accuracy is an independent reading (Shapes only); the chain's own captioner gives self-consistency only.
    /// Null: no independent re-caption.
    /// </summary>
    public StreamCaptionerTransformer? Judge { get; set; }

    /// <summary>
    /// Also run <see cref="MirrorGanEvaluation"/> on each set with these options (Inception Score and class accuracy with a
    /// classifier, FID against the real images of the same prompts with a feature network, STREAM BLEU of the chain's
    /// re-captions) and, with a classifier, the real images' own scores as the reference. Null: skipped.
    /// </summary>
    public MirrorGanEvaluationOptions? Quality { get; set; }

    /// <summary>Folder for <c>gallery.html</c>, <c>images/</c> and <c>grid.png</c> (the first 24 prompts of each set). Null: no gallery.</summary>
    public string? GalleryFolder { get; set; }
}
