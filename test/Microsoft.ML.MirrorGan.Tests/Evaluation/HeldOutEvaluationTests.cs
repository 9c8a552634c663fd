using System.Text.Json;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Tests.Glam;

namespace Microsoft.ML.MirrorGan.Tests.Evaluation;

/// <summary>
/// The held-out evaluation the main job scores its model with: both Shapes prompt sets, every score under the name
/// metrics.json gives it, the gallery, and the quality report nested with its own names.
/// </summary>
[Collection("Glam trainer")]
public class HeldOutEvaluationTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public HeldOutEvaluationTests(GlamFixture fixture) => _f = fixture;

    private ITransformer Chain()
    {
        var options = _f.Options(2);
        options.Columns = new MirrorGanColumns { SeedColumnName = "Seed" };
        return _f.Trainer(options).Fit(_f.Train);
    }

    [Fact]
    public void Shapes_scores_both_held_out_sets_under_the_metrics_json_names_and_writes_the_gallery()
    {
        var chain = Chain();
        using var dir = TestPaths.NewTempDir();
        var options = new HeldOutEvaluationOptions { Seed = 5, Judge = _f.Captioner, GalleryFolder = dir.Path };
        var scores = HeldOutEvaluation.Shapes(_f.Ml, chain, options);

        Assert.Equal(new[] { "held_out_prompts", "held_out_combinations" }, scores.Keys);
        Assert.Equal(ShapesSplit.HeldOutPrompts.Count, scores["held_out_prompts"].Count);
        Assert.Equal(ShapesSplit.EvalCount, scores["held_out_combinations"].Count);
        foreach (var set in scores.Values)
        {
            // One object per scene: the confusion table counts every prompt once.
            Assert.Equal(set.Count, set.ShapeConfusion!.Values.Sum(row => row.Values.Sum()));
            Assert.InRange(set.SemanticAccuracy!.All, 0, 1);
            Assert.NotNull(set.RecaptionSelfConsistency);
            Assert.NotNull(set.RecaptionIndependent);
            Assert.Null(set.Evaluation);
        }

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(scores));
        var prompts = json.RootElement.GetProperty("held_out_prompts");
        Assert.Equal(
            new[] { "count", "r_precision", "semantic_accuracy", "shape_confusion", "recaption_self_consistency", "recaption_independent" },
            prompts.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "mean", "std", "candidates" }, prompts.GetProperty("r_precision").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "background", "color", "shape", "size", "position", "all" }, prompts.GetProperty("semantic_accuracy").EnumerateObject().Select(p => p.Name));

        Assert.Equal(48, Directory.GetFiles(Path.Combine(dir.Path, "images"), "*.png").Length);
        Assert.Contains("held_out_combinations_23.png", File.ReadAllText(Path.Combine(dir.Path, "gallery.html")));
        Assert.True(new FileInfo(Path.Combine(dir.Path, "grid.png")).Length > 0);

        // The same chain and seed give the same scores: every image is drawn from its own seed.
        var again = HeldOutEvaluation.Shapes(_f.Ml, chain, new HeldOutEvaluationOptions { Seed = 5, Judge = _f.Captioner });
        Assert.Equal(JsonSerializer.Serialize(scores), JsonSerializer.Serialize(again));
    }

    [Fact]
    public void Quality_metrics_nest_the_evaluation_report_with_its_own_names()
    {
        var chain = Chain();
        // Per-channel means and std: a real 4-d feature, enough for a full-rank FID with 120 and 300 images.
        var stats = ImageFeatureExtractors.FromFunction("stats", (images, size) => images.Select(im =>
        {
            int plane = size * size;
            var f = Enumerable.Range(0, 3).Select(c => im.Skip(c * plane).Take(plane).Average()).ToList();
            double mean = im.Average();
            f.Add((float)Math.Sqrt(im.Average(v => (v - mean) * (v - mean))));
            return f.ToArray();
        }).ToArray());
        var scores = HeldOutEvaluation.Shapes(_f.Ml, chain, new HeldOutEvaluationOptions { Quality = new MirrorGanEvaluationOptions { FeatureExtractor = stats } });

        var set = scores["held_out_prompts"];
        Assert.Null(set.RecaptionIndependent);
        Assert.Equal("stats", set.Evaluation!.Fid!.FeatureNetwork);
        Assert.Equal(120, set.Evaluation.Fid.GeneratedCount);
        Assert.DoesNotContain(set.Evaluation.Skipped, s => s.StartsWith("R-precision", StringComparison.Ordinal));
        Assert.NotNull(set.Evaluation.Bleu); // the chain's own re-captions
        Assert.Null(set.RealReference);      // no classifier, no reference

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(set));
        var evaluation = json.RootElement.GetProperty("evaluation");
        Assert.True(evaluation.TryGetProperty("imageCount", out _), evaluation.ToString());
        Assert.False(json.RootElement.TryGetProperty("recaption_independent", out _));
        Assert.False(json.RootElement.TryGetProperty("real_reference", out _));
    }

    [Fact]
    public void A_model_without_a_text_encoder_is_refused_with_a_message()
    {
        var generator = ((IEnumerable<ITransformer>)Chain()).OfType<MirrorGanTransformer>().Single();
        var e = Assert.Throws<InvalidOperationException>(() => HeldOutEvaluation.Shapes(_f.Ml, generator));
        Assert.Contains("TextEmbed", e.Message);
    }
}
