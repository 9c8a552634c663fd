using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.QuickStart;

/// <summary>Generates images for held-out prompts with a saved chain, re-captions them and scores them.</summary>
internal static class Evaluation
{
    /// <summary>A prompt set; <paramref name="Real"/> renders the real images of the same prompts at a size (for FID).</summary>
    private sealed record PromptSet(string Name, string[] Captions, int[] Classes, ShapesScene[]? Scenes, Func<int, float[][]> Real);

    /// <summary>
    /// Generates each prompt set and scores it: R-precision, Shapes semantic and re-caption accuracy; with
    /// <paramref name="quality"/> (the evaluate verb) also <see cref="MirrorGanEvaluation"/>'s Inception Score, class
    /// accuracy, FID against the real images of the same prompts and STREAM BLEU, under "evaluation".
    /// </summary>
    /// <param name="judge">A captioner trained apart from the one the generator was trained against (other seed, trunk and
    /// image side): its re-caption accuracy is an independent reading; the chain's own captioner gives self-consistency only.</param>
    public static Dictionary<string, object> Run(MLContext ml, ITransformer chain, string dataset, int seed, string folder, bool writeGallery,
        MirrorGanEvaluationOptions? quality = null, StreamCaptionerTransformer? judge = null)
    {
        var text = ((IEnumerable<ITransformer>)chain).OfType<TextEmbedTransformer>().FirstOrDefault()
            ?? throw new InvalidOperationException("The model is not a TextEmbed → MirrorGan → StreamCaptioner chain saved by the QuickStart.");
        var result = new Dictionary<string, object>();
        var gallery = new List<(string Set, string Prompt, MLImage Image, string Caption, string Verdict)>();
        foreach (var set in Sets(ml, dataset, seed))
        {
            // Prompt i gets seed + i: one noise draw per image (a single shared draw would judge the set on one z).
            var rows = set.Captions.Select((c, i) => new Prompts { Caption = c, Seed = unchecked(seed + i) }).ToList();
            var generation = System.Diagnostics.Stopwatch.StartNew();
            var (images, captions) = GenerateAndCaption(chain.Transform(ml.Data.LoadFromEnumerable(rows)));
            Console.WriteLine($"  {set.Name}: {images.Length} prompts generated and re-captioned in {generation.Elapsed.TotalSeconds:F1} s");
            var metrics = new Dictionary<string, object> { ["count"] = images.Length };
            var imageFeatures = text.EncodeImages(images);
            var sentences = text.EncodeCaptions(set.Captions).SentenceFeatures;
            int candidates = Math.Min(100, set.Classes.Length - set.Classes.GroupBy(c => c).Max(g => g.Count()) + 1);
            if (candidates >= 2)
            {
                var rp = new RPrecision { Candidates = candidates, Folds = 10, Seed = seed }.Compute(imageFeatures, sentences, set.Classes);
                metrics["r_precision"] = new { mean = rp.Mean, std = rp.StdDev, candidates };
            }
            string[] verdicts = new string[images.Length];
            if (set.Scenes is { } scenes)
            {
                // One detection per image feeds both the per-attribute scores and the shape confusion.
                var detections = images.Select(ShapesScorer.Detect).ToArray();
                var scores = detections.Select((d, i) => ShapesScorer.Score(d, ShapesDescription.Of(scenes[i]))).ToArray();
                double Rate(Func<ShapesScore, bool?> f) => scores.Count(x => f(x) == true) / (double)Math.Max(1, scores.Count(x => f(x) is not null));
                metrics["semantic_accuracy"] = new
                {
                    background = Rate(x => x.Background), color = Rate(x => x.Color), shape = Rate(x => x.Shape),
                    size = Rate(x => x.Size), position = Rate(x => x.Position), all = Rate(x => x.AllCorrect),
                };
                metrics["shape_confusion"] = ShapeConfusion(detections, scenes);
                for (int i = 0; i < scores.Length; i++)
                    verdicts[i] = $"bg {Mark(scores[i].Background)} colour {Mark(scores[i].Color)} shape {Mark(scores[i].Shape)} size {Mark(scores[i].Size)} position {Mark(scores[i].Position)}";
                if (captions is not null)
                {
                    // The generator was trained to satisfy this captioner, so agreeing with it is self-consistency, not quality.
                    var acc = ShapesCaptionAccuracy.Score(captions, scenes);
                    metrics["recaption_self_consistency"] = new { color = acc.Color, shape = acc.Shape, size = acc.Size, position = acc.Position, all = acc.All };
                }
                if (judge is not null)
                {
                    var acc = ShapesCaptionAccuracy.Score(Recaption(judge, images), scenes);
                    metrics["recaption_independent"] = new { color = acc.Color, shape = acc.Shape, size = acc.Size, position = acc.Position, all = acc.All };
                }
            }
            if (quality is not null)
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
                metrics["evaluation"] = JsonDocument.Parse(report.ToJson()).RootElement.Clone();
                if (quality.Classifier is not null)
                {
                    // The real images of the same prompts through the same classifier and IS protocol (count, splits): the
                    // ceiling the generated figures are read against, as ratios.
                    var realSet = new EvaluationImages(real.Images, size, set.Captions, set.Classes);
                    var reference = MirrorGanEvaluation.Evaluate(realSet, null, new MirrorGanEvaluationOptions
                    {
                        Classifier = quality.Classifier, ClassifierName = quality.ClassifierName, InceptionSplits = quality.InceptionSplits,
                    });
                    metrics["real_reference"] = JsonDocument.Parse(reference.ToJson()).RootElement.Clone();
                    if (report.InceptionScore is { } gis && reference.InceptionScore is { } ris)
                        metrics["inception_score_ratio"] = gis.Mean / ris.Mean;
                    if (report.ClassAccuracy is { } gacc && reference.ClassAccuracy is { } racc && racc > 0)
                        metrics["class_accuracy_ratio"] = gacc / racc;
                }
            }
            result[set.Name] = metrics;
            Console.WriteLine($"  {set.Name}: {JsonSerializer.Serialize(metrics)}");
            for (int i = 0; i < Math.Min(24, images.Length); i++)
                gallery.Add((set.Name, set.Captions[i], images[i], captions?[i] ?? "", verdicts[i] ?? ""));
        }
        if (writeGallery) WriteGallery(folder, gallery);
        return result;
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
                ReadOnlyMemory<char> text = default;
                getCaption(ref text);
                captions!.Add(text.ToString());
            }
        }
        return (images.ToArray(), captions?.ToArray());
    }

    /// <summary>Greedy captions of <paramref name="images"/> by <paramref name="captioner"/>, in batches at its own input side.</summary>
    public static string[] Recaption(StreamCaptionerTransformer captioner, IReadOnlyList<MLImage> images)
    {
        int side = captioner.ImageSize, plane = 3 * side * side;
        var result = new List<string>(images.Count);
        for (int start = 0; start < images.Count; start += 64)
        {
            int n = Math.Min(64, images.Count - start);
            var pixels = new float[n * plane];
            for (int i = 0; i < n; i++) ImageTensor.ToChw(images[start + i], side, pixels.AsSpan(i * plane, plane));
            using var batch = TorchSharp.torch.tensor(pixels, new long[] { n, 3, side, side });
            result.AddRange(captioner.Generate(batch, beamWidth: 1).Select(c => captioner.Vocabulary.Decode(c.Ids)));
        }
        return result.ToArray();
    }

    /// <summary>
    /// Expected shape (per size) → what the scorer saw in the object of the expected colour ("missing": no such object):
    /// tells a generator that draws the wrong shape from one whose shapes are right but too soft for the scorer.
    /// </summary>
    private static Dictionary<string, Dictionary<string, int>> ShapeConfusion(ShapesDetection[] detections, ShapesScene[] scenes)
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
        return table;
    }

    private static string Mark(bool? ok) => ok switch { true => "✓", false => "✗", null => "–" };

    private static IEnumerable<PromptSet> Sets(MLContext ml, string dataset, int seed)
    {
        if (dataset == "shapes")
        {
            // The 120 held-out prompts (descriptions never trained on), then 300 unseen scenes of the held-out colour–shape pairs.
            var pairs = new ShapesDataset(ShapesSplit.HeldOutCombinations(seed)).Scenes.ToArray();
            foreach (var (name, scenes) in new[] { ("held_out_prompts", ShapesSplit.HeldOutPrompts.ToArray()), ("held_out_combinations", pairs) })
            {
                yield return new PromptSet(name, scenes.Select(new ShapesDataset().CanonicalCaption).ToArray(), scenes.Select(s => s.ClassId).ToArray(), scenes,
                    // Rendering reads only the side from the options: the same scenes at the generator's final size.
                    size => scenes.Select(new ShapesDataset(new ShapesOptions { ImageSize = size }).RenderChw).ToArray());
            }
        }
        else if (dataset == "fashion-mnist")
        {
            var test = ml.Data.LoadFashionMnist(new FashionMnistOptions { Split = DatasetSplit.Test, ImageSize = 64, MaxImages = 300, CaptionsPerImage = 1, Seed = seed });
            yield return new PromptSet("test", test.GetColumn<string>("Caption").ToArray(), test.GetColumn<int>("ClassId").ToArray(), null,
                size => EvaluationImages.FromDataView(test, size, captionColumn: null, classIdColumn: null).Images.ToArray());
        }
        else
        {
            throw new ArgumentException($"Evaluation for '{dataset}' needs its test split; run the evaluate verb with --dataset shapes, or evaluate CUB/COCO with RPrecision in code.");
        }
    }

    private static void WriteGallery(string folder, List<(string Set, string Prompt, MLImage Image, string Caption, string Verdict)> items)
    {
        string imageFolder = Path.Combine(folder, "images");
        Directory.CreateDirectory(imageFolder);
        var html = new StringBuilder("<!doctype html><meta charset=\"utf-8\"><title>MirrorGAN QuickStart</title>")
            .Append("<style>body{font-family:sans-serif}td{padding:4px;vertical-align:middle}img{image-rendering:pixelated;width:128px}</style>")
            .Append("<h1>MirrorGAN QuickStart gallery</h1><p>Prompt → generated image (EMA generator) → STREAM re-caption; the Shapes scorer's verdict per attribute.</p>");
        var tiles = new List<float[]>();
        int size = items.Count > 0 ? items[0].Image.Width : 64;
        foreach (var group in items.GroupBy(i => i.Set))
        {
            html.Append($"<h2>{WebUtility.HtmlEncode(group.Key)}</h2><table><tr><th>prompt</th><th>image</th><th>re-caption</th><th>scorer</th></tr>");
            int k = 0;
            foreach (var item in group)
            {
                string name = $"{group.Key}_{k++}.png";
                var chw = ImageTensor.ToChw(item.Image, size);
                File.WriteAllBytes(Path.Combine(imageFolder, name), ImageTensor.ToPng(chw, size));
                tiles.Add(chw);
                html.Append($"<tr><td>{WebUtility.HtmlEncode(item.Prompt)}</td><td><img src=\"images/{name}\"></td><td>{WebUtility.HtmlEncode(item.Caption)}</td><td>{WebUtility.HtmlEncode(item.Verdict)}</td></tr>");
            }
            html.Append("</table>");
        }
        File.WriteAllText(Path.Combine(folder, "gallery.html"), html.ToString());
        if (tiles.Count > 0) File.WriteAllBytes(Path.Combine(folder, "grid.png"), ImageGrid.ToPng(tiles, size, 8));
    }

    public static void WriteJson(string path, object value) =>
        File.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
}
