using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Onnx.Import;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>The evaluate verb: scores a saved model.zip on the held-out prompts (docs/evaluation.md).</summary>
internal static class EvaluateVerb
{
    /// <summary>Settings of the evaluate verb (see Program.cs for the options).</summary>
    public sealed record Settings(string Model, string Output, int Seed, string Dataset, string Features, string? Classifier,
        string ClassifierNormalization, string? FashionClassifier);

    public static int Run(Settings s)
    {
        var ml = new MLContext(seed: 1);
        // HeldOutEvaluation reports each prompt set on the context's log ("MirrorGan: <set>: ...").
        ml.Log += (_, e) =>
        {
            int at = e.Message.IndexOf("MirrorGan: ", StringComparison.Ordinal);
            if (e.Kind >= Microsoft.ML.Runtime.ChannelMessageKind.Info && at >= 0) Console.WriteLine($"  {e.Message[(at + "MirrorGan: ".Length)..]}");
        };
        var chain = Load(ml, s.Model);
        var notes = new List<string>();
        var quality = new MirrorGanEvaluationOptions
        {
            FeatureExtractor = FeatureNetwork(chain, s.Features, notes),
            // 300 images per prompt set against 512-d ResNet features: the covariances are singular; the eigen-decomposition
            // method handles that, and the JSON says so (FID is then comparable only at equal image counts).
            AllowRankDeficientFid = true,
        };
        if (s.Classifier is { } onnx)
        {
            if (!Enum.TryParse<OnnxImageNormalization>(s.ClassifierNormalization.Replace("-", ""), ignoreCase: true, out var norm))
                throw new ArgumentException($"--classifier-normalization '{s.ClassifierNormalization}' is not one of minus-one-to-one, zero-to-one, imagenet, zero-to-255.");
            quality.Classifier = new OnnxImageClassifier(onnx, new OnnxImageModelOptions { Normalization = norm });
            quality.ClassifierName = $"onnx:{Path.GetFileName(onnx)}";
        }
        else if (s.Dataset == "fashion-mnist")
        {
            string path = s.FashionClassifier ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(s.Model))!, "fashion-mnist-classifier.zip");
            if (!File.Exists(path)) Console.WriteLine($"training the built-in Fashion-MNIST classifier once (≤ 3 min), saved to {path}");
            quality.Classifier = FashionMnistClassifierTrainer.LoadOrTrain(ml, path, new FashionMnistClassifierTrainingOptions { TimeLimit = TimeSpan.FromMinutes(3) });
            quality.ClassifierName = $"fashion-mnist-classifier:{Path.GetFileName(path)}";
        }
        else notes.Add("Inception Score: Shapes has no built-in classifier; pass --classifier model.onnx (e.g. an exported Inception-v3)");
        // The independent judge captioner ships with the Shapes text side; the chain's own captioner only gives self-consistency.
        string judgePath = Path.Combine(TrainJob.ShippedShapesTextSide, TrainJob.JudgeFile);
        var judge = s.Dataset == "shapes" && File.Exists(judgePath) ? (StreamCaptioner.StreamCaptionerTransformer)ml.Model.Load(judgePath, out _) : null;
        if (s.Dataset == "shapes" && judge is null) notes.Add($"independent re-caption skipped: no judge captioner at {judgePath}");
        var metrics = Evaluation.Run(ml, chain, s.Dataset, s.Seed, Path.GetDirectoryName(Path.GetFullPath(s.Output))!, writeGallery: false, quality, judge);
        var report = new Dictionary<string, object>
        {
            ["model"] = s.Model, ["seed"] = s.Seed, ["dataset"] = s.Dataset,
            ["fid_features"] = quality.FeatureExtractor?.Name ?? "none", ["classifier"] = quality.ClassifierName ?? "none",
            ["notes"] = notes, ["runs"] = new Dictionary<string, object> { ["model"] = metrics },
        };
        Evaluation.WriteJson(s.Output, report);
        (quality.Classifier as IDisposable)?.Dispose();
        Console.WriteLine($"wrote {s.Output}");
        return 0;
    }

    /// <summary>
    /// The FID feature network: ImageNet ResNet-18 by default (this project references its package), the model's own
    /// DAMSM image encoder, none, or any ONNX feature extractor given by path.
    /// </summary>
    private static IImageFeatureExtractor? FeatureNetwork(ITransformer chain, string features, List<string> notes)
    {
        IImageFeatureExtractor Damsm() => ImageFeatureExtractors.Damsm(((IEnumerable<ITransformer>)chain).OfType<TextEmbedTransformer>().First());
        switch (features)
        {
            case "none": return null;
            case "damsm": return Damsm();
            case "resnet18":
                if (PretrainedFeatureExtractors.IsResNet18Available()) return PretrainedFeatureExtractors.ResNet18();
                notes.Add($"FID: the ResNet-18 ONNX files are not in {ResNet18FromOnnx.DefaultModelDirectory} (package Microsoft.ML.DnnImageFeaturizer.ResNet18); used the model's DAMSM image features");
                return Damsm();
            default:
                if (!File.Exists(features))
                    throw new FileNotFoundException($"--features '{features}' is neither resnet18, damsm, none nor an existing ONNX file.", features);
                return new OnnxImageFeatureExtractor(features, new OnnxImageModelOptions { Normalization = OnnxImageNormalization.ImageNet });
        }
    }

    /// <summary>Loads a model.zip, or says that the main job makes one.</summary>
    public static ITransformer Load(MLContext ml, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model '{path}' does not exist; run the main job first (it writes <out>/model.zip).", path);
        return ml.Model.Load(path, out _);
    }
}
