using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// Scores a fitted chain TextEmbed → MirrorGan → StreamCaptioner (what <c>mlContext.Transforms.MirrorGan(...).Fit</c>
/// returns, or its saved <c>model.zip</c>) on a dataset's held-out prompts: generates one image per prompt (prompt i with
/// seed N + i), re-captions it, and computes R-precision and, on Shapes, the scorer's per-attribute accuracy, the shape
/// confusion and the re-caption accuracy of the chain's own and an independent captioner (docs/evaluation.md). Progress
/// goes to the context's log (<c>MLContext.Log</c>).
/// </summary>
public static class HeldOutEvaluation
{
    /// <summary>
    /// Shapes: the 120 held-out prompts (<see cref="ShapesSplit.HeldOutPrompts"/>, descriptions never trained on) as
    /// <c>held_out_prompts</c>, then 300 unseen scenes of the held-out colour–shape pairs as <c>held_out_combinations</c>.
    /// </summary>
    /// <param name="ml">The context (its log receives the progress).</param>
    /// <param name="chain">The fitted chain; it must hold a TextEmbed and write <c>GeneratedImage</c> (and <c>GeneratedCaption</c> when it holds a captioner).</param>
    /// <param name="options">Seed, judge captioner, quality metrics and gallery folder (null: the defaults).</param>
    /// <returns>The scores of each set by name, in the order above.</returns>
    public static IReadOnlyDictionary<string, HeldOutSetScores> Shapes(MLContext ml, ITransformer chain, HeldOutEvaluationOptions? options = null)
    {
        options ??= new HeldOutEvaluationOptions();
        return Run(ml, chain, HeldOutPromptSet.Shapes(options.Seed), options);
    }

    /// <summary>Fashion-MNIST: the captions of the first 300 test images as <c>test</c> (no Shapes scores; FID and IS with <see cref="HeldOutEvaluationOptions.Quality"/>).</summary>
    /// <param name="ml">The context (its log receives the progress; the test split is read through it).</param>
    /// <param name="chain">The fitted chain; it must hold a TextEmbed and write <c>GeneratedImage</c>.</param>
    /// <param name="options">Seed, quality metrics and gallery folder (null: the defaults).</param>
    /// <returns>The scores of the set by name.</returns>
    public static IReadOnlyDictionary<string, HeldOutSetScores> FashionMnist(MLContext ml, ITransformer chain, HeldOutEvaluationOptions? options = null)
    {
        options ??= new HeldOutEvaluationOptions();
        return Run(ml, chain, HeldOutPromptSet.FashionMnist(ml, options.Seed), options);
    }

    private static Dictionary<string, HeldOutSetScores> Run(MLContext ml, ITransformer chain, IEnumerable<HeldOutPromptSet> sets, HeldOutEvaluationOptions options)
    {
        if (ml is null) throw new ArgumentNullException(nameof(ml));
        if (chain is null) throw new ArgumentNullException(nameof(chain));
        var text = (chain as IEnumerable<ITransformer>)?.OfType<TextEmbedTransformer>().FirstOrDefault()
            ?? throw new InvalidOperationException("The model is not a TextEmbed → MirrorGan → StreamCaptioner chain (mlContext.Transforms.MirrorGan(...).Fit returns one).");
        using var ch = ((IChannelProvider)ml).Start(nameof(HeldOutEvaluation));
        int seed = options.Seed;
        var result = new Dictionary<string, HeldOutSetScores>();
        var gallery = new EvaluationGallery();
        foreach (var set in sets)
        {
            // Prompt i gets seed + i: one noise draw per image (a single shared draw would judge the set on one z).
            var rows = set.Captions.Select((c, i) => new Prompt { Caption = c, Seed = unchecked(seed + i) }).ToList();
            var generation = Stopwatch.StartNew();
            var (images, captions) = GenerateAndCaption(chain.Transform(ml.Data.LoadFromEnumerable(rows)));
            ch.Info(MessageSensitivity.None, $"MirrorGan: {set.Name}: {images.Length} prompts generated and re-captioned in {generation.Elapsed.TotalSeconds:F1} s");
            var imageFeatures = text.EncodeImages(images);
            var sentences = text.EncodeCaptions(set.Captions).SentenceFeatures;
            HeldOutRPrecision? rPrecision = null;
            int candidates = Math.Min(100, set.Classes.Length - set.Classes.GroupBy(c => c).Max(g => g.Count()) + 1);
            if (candidates >= 2)
            {
                var rp = new RPrecision { Candidates = candidates, Folds = 10, Seed = seed }.Compute(imageFeatures, sentences, set.Classes);
                rPrecision = new HeldOutRPrecision(rp.Mean, rp.StdDev, candidates);
            }
            var scores = new HeldOutSetScores { Count = images.Length, RPrecision = rPrecision };
            string[] verdicts = new string[images.Length];
            if (set.Scenes is { } scenes) scores = ScoreShapes(scores, images, captions, scenes, options.Judge, verdicts);
            if (options.Quality is { } quality) scores = ScoreQuality(scores, images, captions, set, quality);
            result[set.Name] = scores;
            ch.Info(MessageSensitivity.None, $"MirrorGan: {set.Name}: {JsonSerializer.Serialize(scores)}");
            for (int i = 0; i < Math.Min(24, images.Length); i++)
                gallery.Add(set.Name, set.Captions[i], images[i], captions?[i] ?? "", verdicts[i] ?? "");
        }
        if (options.GalleryFolder is { } folder) gallery.Write(folder);
        return result;
    }

    private static HeldOutSetScores ScoreShapes(HeldOutSetScores scores, MLImage[] images, string[]? captions, ShapesScene[] scenes,
        StreamCaptionerTransformer? judge, string[] verdicts)
    {
        // One detection per image feeds both the per-attribute scores and the shape confusion.
        var detections = images.Select(ShapesScorer.Detect).ToArray();
        var each = detections.Select((d, i) => ShapesScorer.Score(d, ShapesDescription.Of(scenes[i]))).ToArray();
        double Rate(Func<ShapesScore, bool?> f) => each.Count(x => f(x) == true) / (double)Math.Max(1, each.Count(x => f(x) is not null));
        for (int i = 0; i < each.Length; i++)
            verdicts[i] = $"bg {Mark(each[i].Background)} colour {Mark(each[i].Color)} shape {Mark(each[i].Shape)} size {Mark(each[i].Size)} position {Mark(each[i].Position)}";
        return new HeldOutSetScores
        {
            Count = scores.Count,
            RPrecision = scores.RPrecision,
            SemanticAccuracy = new ShapesSemanticAccuracy(Rate(x => x.Background), Rate(x => x.Color), Rate(x => x.Shape), Rate(x => x.Size), Rate(x => x.Position), Rate(x => x.AllCorrect)),
            ShapeConfusion = ShapeConfusion(detections, scenes),
            RecaptionSelfConsistency = captions is null ? null : ShapesRecaptionAccuracy.From(ShapesCaptionAccuracy.Score(captions, scenes)),
            RecaptionIndependent = judge is null ? null : ShapesRecaptionAccuracy.From(ShapesCaptionAccuracy.Score(judge.Caption(images, beamWidth: 1), scenes)),
        };
    }

    private static HeldOutSetScores ScoreQuality(HeldOutSetScores scores, MLImage[] images, string[]? captions, HeldOutPromptSet set, MirrorGanEvaluationOptions quality)
    {
        int size = images[0].Width;
        var generated = EvaluationImages.FromImages(images, size, set.Captions, set.Classes);
        var real = new EvaluationImages(set.Real(size), size);
        var report = MirrorGanEvaluation.Evaluate(generated, real, quality, redescriptions: captions);
        // R-precision and the Shapes scores are computed above (with this set's class-aware candidates).
        report.Skipped.RemoveAll(x => x.StartsWith("R-precision", StringComparison.Ordinal));
        if (report.Fid is not null && report.Fid.GeneratedCount <= report.Fid.Dimension)
            report.Skipped.Add($"note: FID from {report.Fid.GeneratedCount} generated and {report.Fid.RealCount} real {report.Fid.Dimension}-d features: " +
                "singular covariances (rank-deficient FID), comparable only between runs with the same counts");
        MirrorGanEvaluationReport? reference = null;
        if (quality.Classifier is not null)
        {
            // The real images of the same prompts through the same classifier and IS protocol (count, splits): the
            // ceiling the generated figures are read against, as ratios.
            var realSet = new EvaluationImages(real.Images, size, set.Captions, set.Classes);
            reference = MirrorGanEvaluation.Evaluate(realSet, null, new MirrorGanEvaluationOptions
            {
                Classifier = quality.Classifier, ClassifierName = quality.ClassifierName, InceptionSplits = quality.InceptionSplits,
            });
        }
        return new HeldOutSetScores
        {
            Count = scores.Count, RPrecision = scores.RPrecision, SemanticAccuracy = scores.SemanticAccuracy, ShapeConfusion = scores.ShapeConfusion,
            RecaptionSelfConsistency = scores.RecaptionSelfConsistency, RecaptionIndependent = scores.RecaptionIndependent,
            Evaluation = report,
            RealReference = reference,
            InceptionScoreRatio = report.InceptionScore is { } gis && reference?.InceptionScore is { } ris ? gis.Mean / ris.Mean : null,
            ClassAccuracyRatio = report.ClassAccuracy is { } gacc && reference?.ClassAccuracy is { } racc && racc > 0 ? gacc / racc : null,
        };
    }

    /// <summary>
    /// Reads the generated images and their re-captions in ONE pass. Two GetColumn calls would run the chain twice:
    /// the caption column's cursor regenerates every image (nothing is cached between cursors), so generation cost
    /// doubled (docs/performance.md, "cheap wins").
    /// </summary>
    private static (MLImage[] Images, string[]? Captions) GenerateAndCaption(IDataView output)
    {
        var imageColumn = output.Schema["GeneratedImage"];
        var captionColumn = output.Schema.GetColumnOrNull("GeneratedCaption");
        var images = new List<MLImage>();
        var captions = captionColumn is null ? null : new List<string>();
        using var cursor = output.GetRowCursor(captionColumn is { } c ? new[] { imageColumn, c } : new[] { imageColumn });
        var getImage = cursor.GetGetter<MLImage>(imageColumn);
        var getCaption = captionColumn is { } cc ? cursor.GetGetter<ReadOnlyMemory<char>>(cc) : null;
        while (cursor.MoveNext())
        {
            MLImage image = null!;
            getImage(ref image);
            images.Add(image);
            if (getCaption is not null)
            {
                ReadOnlyMemory<char> caption = default;
                getCaption(ref caption);
                captions!.Add(caption.ToString());
            }
        }
        return (images.ToArray(), captions?.ToArray());
    }

    /// <summary>Expected shape (per size) → what the scorer saw in the object of the expected colour ("missing": no such object).</summary>
    private static Dictionary<string, IReadOnlyDictionary<string, int>> ShapeConfusion(ShapesDetection[] detections, ShapesScene[] scenes)
    {
        var table = new Dictionary<string, Dictionary<string, int>>();
        for (int i = 0; i < detections.Length; i++)
        {
            var seen = detections[i];
            foreach (var o in scenes[i].Objects)
            {
                string row = $"{o.Size} {o.Shape}".ToLowerInvariant();
                var found = seen.Objects.FirstOrDefault(d => d.Color == o.Color);
                string col = found is null ? "missing" : found.Shape?.ToString().ToLowerInvariant() ?? "no shape";
                var counts = table.TryGetValue(row, out var c) ? c : table[row] = new Dictionary<string, int>();
                counts[col] = counts.GetValueOrDefault(col) + 1;
            }
        }
        return table.ToDictionary(x => x.Key, x => (IReadOnlyDictionary<string, int>)x.Value);
    }

    private static string Mark(bool? ok) => ok switch { true => "✓", false => "✗", null => "–" };

    // The chain's input rows: a caption and the seed of its noise draw.
    private sealed class Prompt
    {
        public string Caption { get; set; } = "";

        public int Seed { get; set; }
    }
}
