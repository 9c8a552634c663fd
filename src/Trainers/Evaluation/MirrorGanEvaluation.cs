using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>What <see cref="MirrorGanEvaluation.Evaluate"/> computes; each metric runs only when what it needs is given.</summary>
public sealed class MirrorGanEvaluationOptions
{
    /// <summary>Classifier for the Inception Score (and class accuracy when the images have class ids): e.g. <see cref="FashionMnistClassifier"/> or an ONNX Inception (<c>OnnxImageClassifier</c>).</summary>
    public IImageClassifier? Classifier { get; set; }

    /// <summary>A name for <see cref="Classifier"/> in the report (default its type name).</summary>
    public string? ClassifierName { get; set; }

    /// <summary>Feature network for the Fréchet distance between real and generated images (e.g. <c>OnnxImageFeatureExtractor</c>, <see cref="ImageFeatureExtractors.Damsm"/>).</summary>
    public IImageFeatureExtractor? FeatureExtractor { get; set; }

    /// <summary>Accept fewer images than the feature size + 1 for the Fréchet distance (singular covariance). Default false: an error explains it.</summary>
    public bool AllowRankDeficientFid { get; set; }

    /// <summary>A fitted STEM model for R-precision (needs captions; class ids pick the mismatched captions, else every image is its own class).</summary>
    public TextEmbedTransformer? TextEmbed { get; set; }

    /// <summary>R-precision settings (Candidates 100 and 10 folds, as AttnGAN).</summary>
    public RPrecision RPrecision { get; set; } = new();

    /// <summary>A STREAM captioner that re-describes the generated images for BLEU against their captions (alternatively pass the re-descriptions).</summary>
    public StreamCaptionerTransformer? Captioner { get; set; }

    /// <summary>Score Shapes images against their captions with <see cref="ShapesScorer"/>. Default false.</summary>
    public bool ShapesSemanticAccuracy { get; set; }

    /// <summary>Inception Score splits. Default 10.</summary>
    public int InceptionSplits { get; set; } = 10;

    /// <summary>Images per network call for the captioner. Default 32.</summary>
    public int BatchSize { get; set; } = 32;
}

/// <summary>
/// Gathers the metrics that apply to a set of generated images (docs/paper-fidelity.md): Inception Score and class accuracy with a
/// classifier, Fréchet distance to real images with a feature network, R-precision with a STEM model, STREAM BLEU of
/// re-descriptions, and Shapes semantic accuracy. The result serialises to JSON (<see cref="MirrorGanEvaluationReport.ToJson"/>).
/// </summary>
public static class MirrorGanEvaluation
{
    /// <summary>Evaluates <paramref name="generated"/> (and compares it with <paramref name="real"/> when given).</summary>
    /// <param name="generated">The generated images with the captions and classes they were generated from.</param>
    /// <param name="real">Real images for the Fréchet distance (null: no FID).</param>
    /// <param name="options">Which networks to use.</param>
    /// <param name="redescriptions">Captions a captioner gave the generated images (instead of <see cref="MirrorGanEvaluationOptions.Captioner"/>).</param>
    public static MirrorGanEvaluationReport Evaluate(EvaluationImages generated, EvaluationImages? real, MirrorGanEvaluationOptions options,
        IReadOnlyList<string>? redescriptions = null)
    {
        if (generated is null) throw new ArgumentNullException(nameof(generated));
        if (options is null) throw new ArgumentNullException(nameof(options));
        if (generated.Count == 0) throw new ArgumentException("There are no generated images to evaluate.", nameof(generated));
        var report = new MirrorGanEvaluationReport { ImageCount = generated.Count, ImageSize = generated.ImageSize };

        if (options.Classifier is { } classifier)
        {
            var p = classifier.PredictProbabilities(generated.Images, generated.ImageSize);
            report.Classifier = options.ClassifierName ?? classifier.GetType().Name;
            report.InceptionScore = InceptionScore.Compute(p, Math.Min(options.InceptionSplits, p.Length));
            if (generated.ClassIds is { } classes) report.ClassAccuracy = ClassAccuracy.Compute(p, classes);
            else report.Skipped.Add("class accuracy: the generated images have no class ids");
        }
        else report.Skipped.Add("Inception Score: no classifier");

        if (options.FeatureExtractor is { } extractor && real is not null)
        {
            var fake = extractor.ExtractFeatures(generated.Images, generated.ImageSize);
            var truth = extractor.ExtractFeatures(real.Images, real.ImageSize);
            report.Fid = new FidResult(FrechetDistance.Compute(truth, fake, options.AllowRankDeficientFid), extractor.Name, truth.Length, fake.Length, fake[0].Length);
        }
        else report.Skipped.Add(options.FeatureExtractor is null ? "FID: no feature network" : "FID: no real images");

        if (options.TextEmbed is { } stem && generated.Captions is { } captions)
        {
            var images = ImageFeatureExtractors.Damsm(stem).ExtractFeatures(generated.Images, generated.ImageSize);
            var sentences = stem.EncodeCaptions(captions.ToArray()).SentenceFeatures;
            var classes = generated.ClassIds ?? Enumerable.Range(0, generated.Count).ToArray();
            report.RPrecision = options.RPrecision.Compute(images, sentences, classes);
        }
        else report.Skipped.Add(options.TextEmbed is null ? "R-precision: no TextEmbed model" : "R-precision: no captions");

        redescriptions ??= options.Captioner is { } captioner ? Redescribe(captioner, generated, options.BatchSize) : null;
        if (redescriptions is not null && generated.Captions is { } references)
        {
            if (redescriptions.Count != generated.Count)
                throw new ArgumentException($"{redescriptions.Count} re-descriptions for {generated.Count} images; give one per image.", nameof(redescriptions));
            var bleu = Bleu.Corpus(
                redescriptions.Select(c => (IReadOnlyList<string>)CaptionTokenizer.Tokenize(c)).ToArray(),
                references.Select(r => (IReadOnlyList<IReadOnlyList<string>>)new[] { CaptionTokenizer.Tokenize(r) }).ToArray());
            report.Bleu = new BleuResult(bleu[0], bleu[1], bleu[2], bleu[3]);
        }
        else report.Skipped.Add(redescriptions is null ? "BLEU: no captioner or re-descriptions" : "BLEU: no captions");

        if (options.ShapesSemanticAccuracy && generated.Captions is { } shapesCaptions)
            report.Shapes = ShapesAccuracy(generated, shapesCaptions);
        else if (options.ShapesSemanticAccuracy) report.Skipped.Add("Shapes accuracy: no captions");
        return report;
    }

    private static string[] Redescribe(StreamCaptionerTransformer captioner, EvaluationImages images, int batchSize)
    {
        var result = new List<string>(images.Count);
        for (int start = 0; start < images.Count; start += Math.Max(1, batchSize))
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            int n = Math.Min(Math.Max(1, batchSize), images.Count - start);
            var x = ImageFeatureExtractors.Resize(ImageFeatureExtractors.ToTensor(images.Images, start, n, images.ImageSize), captioner.ImageSize);
            result.AddRange(captioner.Generate(x, beamWidth: 1).Select(c => captioner.Vocabulary.Decode(c.Ids)));
        }
        return result.ToArray();
    }

    private static ShapesAccuracyResult ShapesAccuracy(EvaluationImages images, IReadOnlyList<string> captions)
    {
        int[] right = new int[6], judged = new int[6];
        for (int i = 0; i < images.Count; i++)
        {
            var score = ShapesScorer.Score(images.Images[i], images.ImageSize, ShapesCaptionParser.Parse(captions[i]));
            var parts = new[] { score.Background, score.Color, score.Shape, score.Size, score.Position, score.AllCorrect };
            for (int k = 0; k < parts.Length; k++)
                if (parts[k] is bool ok) { judged[k]++; right[k] += ok ? 1 : 0; }
        }
        double? Share(int k) => judged[k] == 0 ? null : (double)right[k] / judged[k];
        return new ShapesAccuracyResult(images.Count, Share(0), Share(1), Share(2), Share(3), Share(4), Share(5) ?? 0);
    }
}
