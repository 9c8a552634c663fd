using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.Tests.Evaluation;

public class EvaluationReportTests
{
    // A fixed 5-d feature (per-channel means, overall std, share of bright pixels): enough for FID with ≥ 6 images.
    private static readonly IImageFeatureExtractor Stats = ImageFeatureExtractors.FromFunction("stats", (images, size) => images.Select(im =>
    {
        int plane = size * size;
        var f = Enumerable.Range(0, 3).Select(c => im.Skip(c * plane).Take(plane).Average()).ToList();
        double mean = im.Average();
        f.Add((float)Math.Sqrt(im.Average(v => (v - mean) * (v - mean))));
        f.Add(im.Count(v => v > 0.5f) / (float)im.Length);
        return f.ToArray();
    }).ToArray());

    private static TextEmbedTransformer UntrainedStem(MLContext ml, IEnumerable<string> captions)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(1);
        var vocabulary = Vocabulary.Build(captions);
        var text = new TextEncoder(vocabulary.Count, 8, 4);
        var image = new DamsmImageEncoder(new SmallCnnBackbone(32, 4), text.FeatureSize);
        return new TextEmbedTransformer(ml, vocabulary, text, image, new TextEmbedColumns(), 12, 32, EmptyCaptionHandling.Error);
    }

    [Fact]
    public void Report_gathers_every_metric_and_round_trips_through_json()
    {
        var ml = new MLContext(0);
        var view = ml.Data.LoadFashionMnist(new FashionMnistOptions { Split = DatasetSplit.Test, MaxImages = 60, ImageSize = 32, CaptionsPerImage = 1 });
        var generated = EvaluationImages.FromDataView(view, 32, maxRows: 30);
        var real = new EvaluationImages(EvaluationImages.FromDataView(view, 32).Images.Skip(30).ToArray(), 32);
        Assert.Equal(30, generated.Count);
        Assert.Equal(30, generated.Captions!.Count);

        var classifier = new FashionMnistClassifier(ml, new FashionMnistClassifierNet()); // untrained: real numbers, not good ones
        var stem = UntrainedStem(ml, generated.Captions);
        var report = MirrorGanEvaluation.Evaluate(generated, real, new MirrorGanEvaluationOptions
        {
            Classifier = classifier, FeatureExtractor = Stats, TextEmbed = stem, RPrecision = new RPrecision { Candidates = 5, Folds = 3 },
        }, redescriptions: generated.Captions.Select((c, i) => i % 2 == 0 ? c : "a photo of a bag").ToArray());

        var p = classifier.PredictProbabilities(generated.Images, 32);
        Assert.Equal(InceptionScore.Compute(p, 10), report.InceptionScore);
        Assert.Equal(ClassAccuracy.Compute(p, generated.ClassIds!), report.ClassAccuracy);
        Assert.Equal(FrechetDistance.Compute(Stats.ExtractFeatures(real.Images, 32), Stats.ExtractFeatures(generated.Images, 32)), report.Fid!.Distance, 9);
        Assert.Equal("stats", report.Fid.FeatureNetwork);
        Assert.NotNull(report.RPrecision);
        Assert.InRange(report.Bleu!.Bleu1, 0.5, 1.0);
        Assert.Null(report.Shapes);
        Assert.Empty(report.Skipped);

        string json = report.ToJson();
        Assert.Contains("\"inceptionScore\"", json);
        Assert.Contains("\"fid\"", json);
        var back = MirrorGanEvaluationReport.FromJson(json);
        Assert.Equal(report.InceptionScore, back.InceptionScore);
        Assert.Equal(report.Fid, back.Fid);
        Assert.Equal(report.RPrecision, back.RPrecision);
        Assert.Equal(report.Bleu, back.Bleu);
        Assert.Equal(report.ClassAccuracy, back.ClassAccuracy);
    }

    [Fact]
    public void Shapes_accuracy_is_perfect_on_clean_renders_and_missing_inputs_are_listed()
    {
        var dataset = new ShapesDataset(new ShapesOptions { ImageSize = 64, Count = 12, CaptionsPerImage = 1 });
        var images = Enumerable.Range(0, 12).Select(i => dataset.RenderChw(dataset.Scene(i))).ToArray();
        var captions = Enumerable.Range(0, 12).Select(i => dataset.Captions(dataset.Scene(i))[0]).ToArray();
        var report = MirrorGanEvaluation.Evaluate(new EvaluationImages(images, 64, captions), null, new MirrorGanEvaluationOptions { ShapesSemanticAccuracy = true });
        Assert.Equal(1.0, report.Shapes!.All);
        Assert.Equal(1.0, report.Shapes.Color);
        Assert.Contains(report.Skipped, s => s.StartsWith("Inception Score", StringComparison.Ordinal));
        Assert.Contains(report.Skipped, s => s.StartsWith("FID", StringComparison.Ordinal));
        Assert.Contains("\"shapes\"", report.ToJson());
    }

    [Fact]
    public void Damsm_features_give_zero_for_a_set_against_itself()
    {
        var ml = new MLContext(0);
        var stem = UntrainedStem(ml, new[] { "a photo of a bag" });
        var data = new FashionMnistDataset(new FashionMnistOptions { Split = DatasetSplit.Test, MaxImages = 40, ImageSize = 64 });
        var images = Enumerable.Range(0, 40).Select(i => FashionMnistClassifierTrainer.RenderChw(data, i)).ToArray();
        var features = ImageFeatureExtractors.Damsm(stem, batchSize: 16).ExtractFeatures(images, 64);
        Assert.Equal(40, features.Length);
        Assert.Equal(stem.FeatureSize, features[0].Length);
        Assert.True(FrechetDistance.Compute(features, features) < 1e-6);
        Assert.True(FrechetDistance.Compute(features.Take(20).ToArray(), features.Skip(20).ToArray()) > 0);
    }
}
