namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>Columns read and written by <see cref="MirrorGanTransformer"/> (inputs are <c>TextEmbed</c>'s outputs).</summary>
public sealed record MirrorGanColumns
{
    /// <summary>Input word features (Vector&lt;Single, D·W&gt;, D-major) from TextEmbed.</summary>
    public string WordFeaturesColumnName { get; init; } = "WordFeatures";

    /// <summary>Input real-word count (Int32) from TextEmbed.</summary>
    public string WordCountColumnName { get; init; } = "WordCount";

    /// <summary>Input sentence feature (Vector&lt;Single, D&gt;) from TextEmbed.</summary>
    public string SentenceFeatureColumnName { get; init; } = "SentenceFeature";

    /// <summary>
    /// Int32 input column with the noise seed of each row ("Seed"). The column is optional: rows of an input without it (or
    /// with this set to null) all use <see cref="MirrorGanTransformer.Seed"/>, so a caption alone always gives the same image.
    /// </summary>
    public string? SeedColumnName { get; init; } = "Seed";

    /// <summary>Output image at the final resolution (MLImage).</summary>
    public string GeneratedImageColumnName { get; init; } = "GeneratedImage";

    /// <summary>Also output every earlier stage's image as <c>{GeneratedImageColumnName}Stage{i}</c> (i = 0 for 64 px).</summary>
    public bool AllStages { get; init; }

    /// <summary>
    /// Optional output prefix for the word-attention maps: one column <c>{AttentionColumnPrefix}Stage{i}</c> per refinement stage i
    /// (Vector&lt;Single, W·S·S&gt;, word-major, exactly 0 for padding words). Null: none.
    /// </summary>
    public string? AttentionColumnPrefix { get; init; }

    /// <summary>The per-stage image columns <see cref="AllStages"/> adds: every stage but the last (whose image is <see cref="GeneratedImageColumnName"/>).</summary>
    internal IEnumerable<(string Name, int Stage)> StageImageColumns(int stages) =>
        AllStages ? Enumerable.Range(0, stages - 1).Select(s => ($"{GeneratedImageColumnName}Stage{s}", s)) : Enumerable.Empty<(string, int)>();

    /// <summary>The attention-map columns <see cref="AttentionColumnPrefix"/> adds: one per refinement stage (1 … stages − 1).</summary>
    internal IEnumerable<(string Name, int Stage)> AttentionColumns(int stages) =>
        AttentionColumnPrefix is { } prefix ? Enumerable.Range(1, stages - 1).Select(s => ($"{prefix}Stage{s}", s)) : Enumerable.Empty<(string, int)>();

    /// <summary>Optional output of the final image as CHW floats in [−1, 1] (Vector&lt;Single, 3·S·S&gt;, lossless). Null: none.</summary>
    public string? GeneratedPixelsColumnName { get; init; }
}
