using System.Diagnostics;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>STEM reports: DAMSM pretraining under a time limit, then R-precision and retrieval on held-out real images.</summary>
internal static class StemBenchmarks
{
    public static void Shapes(TimeSpan budget)
    {
        var ml = new MLContext(seed: 1);
        var options = TextEmbedOptions.Tiny();
        options.Epochs = 1000;
        options.MaxTrainingTime = budget;
        options.Seed = 1;
        options.Device = "cpu";
        // Held-out scenes come from a disjoint index range of the same generator.
        var train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 2000, Seed = 11, CaptionsPerImage = 2 });
        var test = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 1000, StartIndex = 100_000, Seed = 11, CaptionsPerImage = 1 });
        Run(ml, "Shapes 64 px (class = full attribute combination)", options, train, test);
    }

    public static void FashionMnist(TimeSpan budget)
    {
        var ml = new MLContext(seed: 1);
        var options = TextEmbedOptions.Tiny();
        options.Epochs = 1000;
        options.MaxTrainingTime = budget;
        options.Seed = 1;
        options.Device = "cpu";
        var train = ml.Data.LoadFashionMnist(new FashionMnistOptions { Split = DatasetSplit.Train, MaxImages = 3000, CaptionsPerImage = 1, ImageSize = 64 });
        var test = ml.Data.LoadFashionMnist(new FashionMnistOptions { Split = DatasetSplit.Test, MaxImages = 1000, CaptionsPerImage = 1, ImageSize = 64 });
        Run(ml, "Fashion-MNIST 64 px (class = label)", options, train, test);
    }

    private static void Run(MLContext ml, string name, TextEmbedOptions options, IDataView train, IDataView test)
    {
        ml.Log += (_, e) => { if (e.Message.Contains("TextEmbed", StringComparison.Ordinal) && !e.Message.Contains("Kind=Trace", StringComparison.Ordinal)) Console.WriteLine($"  [log] {e.Message}"); };
        int steps = 0;
        options.Progress = new Progress<TextEmbedProgress>(p =>
        {
            if (Interlocked.Increment(ref steps) % 50 == 0)
                Console.WriteLine($"  step {steps}: epoch {p.Epoch + 1}, loss {p.Loss:F3} (word {p.WordLoss:F3}, sentence {p.SentenceLoss:F3}), {p.Elapsed.TotalSeconds:F0} s");
        });
        Console.WriteLine($"== STEM on {name}");
        Console.WriteLine($"settings: embedding {options.EmbeddingSize}, hidden {options.HiddenSize}/direction (D = {2 * options.HiddenSize}), " +
            $"words {options.MaxWords}, backbone {options.Backbone}, image {options.ImageSize}, batch {options.BatchSize}, lr {options.LearningRate}, " +
            $"γ = {options.Gamma1}/{options.Gamma2}/{options.Gamma3}, time limit {options.MaxTrainingTime}, threads {TorchSharp.torch.get_num_threads()}");
        var clock = Stopwatch.StartNew();
        var model = ml.Transforms.TextEmbed(options).Fit(train);
        var trainTime = clock.Elapsed;
        Console.WriteLine($"training wall time: {trainTime.TotalSeconds:F0} s; vocabulary {model.Vocabulary.Count} words");

        clock.Restart();
        var (images, sentences, classes) = RPrecision.Features(model, test);
        var rp = new RPrecision { Candidates = 100, Folds = 10, Seed = 1 }.Compute(images, sentences, classes);
        double top1Instance = TextImageRetrieval.TopOne(images, sentences, classes, byClass: false);
        double top1Class = TextImageRetrieval.TopOne(images, sentences, classes, byClass: true);
        int n = classes.Length;
        double classChance = classes.GroupBy(c => c).Sum(g => (double)g.Count() * g.Count()) / ((double)n * n);
        Console.WriteLine($"held-out images: {n}, classes: {classes.Distinct().Count()}");
        Console.WriteLine($"R-precision (1 true + 99 other-class captions, 10 folds): {rp.Mean:F4} ± {rp.StdDev:F4}");
        Console.WriteLine($"text→image top-1, own image: {top1Instance:F4} (chance {1.0 / n:F4})");
        Console.WriteLine($"text→image top-1, image of the caption's class: {top1Class:F4} (chance {classChance:F4})");
        Console.WriteLine($"evaluation wall time: {clock.Elapsed.TotalSeconds:F0} s");
    }
}
