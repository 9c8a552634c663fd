using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Fréchet distance between real and generated images.</summary>
/// <param name="Distance">d² (FID when the features are Inception pool features).</param>
/// <param name="FeatureNetwork">The feature network's name.</param>
/// <param name="RealCount">Real images.</param>
/// <param name="GeneratedCount">Generated images.</param>
/// <param name="Dimension">Feature length.</param>
public sealed record FidResult(double Distance, string FeatureNetwork, int RealCount, int GeneratedCount, int Dimension);

/// <summary>Corpus BLEU-1…4 of re-descriptions against the captions the images were generated from.</summary>
/// <param name="Bleu1">BLEU-1.</param>
/// <param name="Bleu2">BLEU-2.</param>
/// <param name="Bleu3">BLEU-3.</param>
/// <param name="Bleu4">BLEU-4.</param>
public sealed record BleuResult(double Bleu1, double Bleu2, double Bleu3, double Bleu4);

/// <summary>Shares of Shapes images whose rendered attributes match their captions (null: no caption stated it).</summary>
/// <param name="Count">Images scored.</param>
/// <param name="Background">Background colour right.</param>
/// <param name="Color">Every object's colour right.</param>
/// <param name="Shape">Every object's shape right.</param>
/// <param name="Size">Every object's size right.</param>
/// <param name="Position">Every object's position right.</param>
/// <param name="All">Everything the caption states is right.</param>
public sealed record ShapesAccuracyResult(int Count, double? Background, double? Color, double? Shape, double? Size, double? Position, double All);

/// <summary>The metrics of one evaluation; a metric that could not be computed is null and listed in <see cref="Skipped"/> with the reason.</summary>
public sealed class MirrorGanEvaluationReport
{
    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // NaN/∞ (e.g. an unknown accuracy) are written as strings rather than making the writer throw.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Generated images evaluated.</summary>
    public int ImageCount { get; set; }

    /// <summary>Their side in pixels.</summary>
    public int ImageSize { get; set; }

    /// <summary>The classifier behind <see cref="InceptionScore"/> and <see cref="ClassAccuracy"/>.</summary>
    public string? Classifier { get; set; }

    /// <summary>Inception Score, mean ± std over the splits.</summary>
    public FoldScore? InceptionScore { get; set; }

    /// <summary>Share of generated images the classifier puts in their caption's class.</summary>
    public double? ClassAccuracy { get; set; }

    /// <summary>Fréchet distance to the real images.</summary>
    public FidResult? Fid { get; set; }

    /// <summary>R-precision (top-1 of the true caption among mismatched ones), mean ± std over folds.</summary>
    public FoldScore? RPrecision { get; set; }

    /// <summary>STREAM BLEU of the re-descriptions.</summary>
    public BleuResult? Bleu { get; set; }

    /// <summary>Shapes semantic accuracy.</summary>
    public ShapesAccuracyResult? Shapes { get; set; }

    /// <summary>Metrics not computed, and why.</summary>
    public List<string> Skipped { get; set; } = new();

    /// <summary>The report as indented JSON (camelCase names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    public static MirrorGanEvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<MirrorGanEvaluationReport>(json, JsonOptions) ?? throw new JsonException("The JSON holds no report.");
}
