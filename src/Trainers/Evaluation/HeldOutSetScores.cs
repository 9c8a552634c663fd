using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>R-precision of a prompt set with the number of candidate captions it ranked among.</summary>
/// <param name="Mean">Mean of the per-fold hit rates.</param>
/// <param name="Std">Standard deviation of the per-fold hit rates.</param>
/// <param name="Candidates">Candidate captions per image, the true one included.</param>
public sealed record HeldOutRPrecision(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("std")] double Std,
    [property: JsonPropertyName("candidates")] int Candidates);

/// <summary>Shares of generated Shapes images the scorer finds right, per attribute of the prompt.</summary>
/// <param name="Background">Background colour right.</param>
/// <param name="Color">Colour right.</param>
/// <param name="Shape">Shape right.</param>
/// <param name="Size">Size right.</param>
/// <param name="Position">Position right.</param>
/// <param name="All">Everything the prompt states right.</param>
public sealed record ShapesSemanticAccuracy(
    [property: JsonPropertyName("background")] double Background,
    [property: JsonPropertyName("color")] double Color,
    [property: JsonPropertyName("shape")] double Shape,
    [property: JsonPropertyName("size")] double Size,
    [property: JsonPropertyName("position")] double Position,
    [property: JsonPropertyName("all")] double All);

/// <summary>Shares of re-captions of generated Shapes images that name the prompt's attribute right.</summary>
/// <param name="Color">Colour word right.</param>
/// <param name="Shape">Shape word right.</param>
/// <param name="Size">Size word right.</param>
/// <param name="Position">Position words right.</param>
/// <param name="All">All four right.</param>
public sealed record ShapesRecaptionAccuracy(
    [property: JsonPropertyName("color")] double Color,
    [property: JsonPropertyName("shape")] double Shape,
    [property: JsonPropertyName("size")] double Size,
    [property: JsonPropertyName("position")] double Position,
    [property: JsonPropertyName("all")] double All)
{
    internal static ShapesRecaptionAccuracy From(ShapesCaptionAccuracyResult a) => new(a.Color, a.Shape, a.Size, a.Position, a.All);
}

/// <summary>
/// The scores of one prompt set of <see cref="HeldOutEvaluation"/>. It serialises with System.Text.Json to the snake_case
/// names of the main job's metrics.json; a score that does not apply (null) is left out.
/// </summary>
public sealed class HeldOutSetScores
{
    /// <summary>Prompts generated.</summary>
    [JsonPropertyName("count")]
    public int Count { get; init; }

    /// <summary>R-precision against captions of other classes (null when the set has too few classes for 2 candidates).</summary>
    [JsonPropertyName("r_precision")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HeldOutRPrecision? RPrecision { get; init; }

    /// <summary>The Shapes scorer's verdict per attribute (Shapes only).</summary>
    [JsonPropertyName("semantic_accuracy")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ShapesSemanticAccuracy? SemanticAccuracy { get; init; }

    /// <summary>
    /// Expected "size shape" → what the scorer saw in the object of the expected colour, with counts ("missing": no such
    /// object; "no shape": no shape it could tell): tells a generator that draws the wrong shape from one whose shapes are
    /// right but too soft for the scorer (Shapes only).
    /// </summary>
    [JsonPropertyName("shape_confusion")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>? ShapeConfusion { get; init; }

    /// <summary>
    /// The chain's own captioner on the generated images (Shapes only). The generator was trained to satisfy this captioner,
    /// so agreeing with it is self-consistency, not quality.
    /// </summary>
    [JsonPropertyName("recaption_self_consistency")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ShapesRecaptionAccuracy? RecaptionSelfConsistency { get; init; }

    /// <summary>The independent judge captioner on the generated images (<see cref="HeldOutEvaluationOptions.Judge"/>; Shapes only).</summary>
    [JsonPropertyName("recaption_independent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ShapesRecaptionAccuracy? RecaptionIndependent { get; init; }

    /// <summary><see cref="MirrorGanEvaluation"/>'s report on the generated images (with <see cref="HeldOutEvaluationOptions.Quality"/>).</summary>
    [JsonPropertyName("evaluation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(ReportJsonConverter))]
    public MirrorGanEvaluationReport? Evaluation { get; init; }

    /// <summary>The real images of the same prompts through the same classifier and protocol (with a quality classifier).</summary>
    [JsonPropertyName("real_reference")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(ReportJsonConverter))]
    public MirrorGanEvaluationReport? RealReference { get; init; }

    /// <summary>Inception Score of the generated images over that of the real ones.</summary>
    [JsonPropertyName("inception_score_ratio")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? InceptionScoreRatio { get; init; }

    /// <summary>Class accuracy of the generated images over that of the real ones.</summary>
    [JsonPropertyName("class_accuracy_ratio")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ClassAccuracyRatio { get; init; }

    // A report nested here keeps its own camelCase names (MirrorGanEvaluationReport.ToJson), as when it is saved alone.
    private sealed class ReportJsonConverter : JsonConverter<MirrorGanEvaluationReport>
    {
        public override MirrorGanEvaluationReport? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<MirrorGanEvaluationReport>(ref reader, MirrorGanEvaluationReport.JsonOptions);

        public override void Write(Utf8JsonWriter writer, MirrorGanEvaluationReport value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, MirrorGanEvaluationReport.JsonOptions);
    }
}
