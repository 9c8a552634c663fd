using System.Diagnostics;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>
/// `fashion-classifier [minutes]`: trains the built-in Fashion-MNIST classifier for a time budget, saves it
/// (fashion-mnist-classifier.zip in the working folder), and reports its test accuracy, the Inception Score and class
/// accuracy of the real 64-px test images, and Fréchet-distance sanity numbers in its 128-d feature space.
/// </summary>
internal static class FashionClassifierBenchmark
{
    public static void Run(TimeSpan budget)
    {
        var ml = new MLContext(seed: 1);
        Console.WriteLine($"Fashion-MNIST classifier: training for at most {budget.TotalMinutes:F1} min, {TorchSharp.torch.get_num_threads()} thread(s)");
        var result = FashionMnistClassifierTrainer.Train(ml, new FashionMnistClassifierTrainingOptions
        {
            Epochs = 100, TimeLimit = budget, Log = line => Console.WriteLine($"  {line}"),
        });
        Console.WriteLine($"trained: {result.Steps} steps, {result.Epochs:F2} epochs, {result.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine($"test accuracy (32-px renders, 10,000 images): {result.TestAccuracy:P2}");

        string path = Path.GetFullPath("fashion-mnist-classifier.zip");
        ml.Model.Save(result.Classifier, null, path);
        var classifier = FashionMnistClassifier.Load(ml, path);
        Console.WriteLine($"saved {path} ({new FileInfo(path).Length / 1024} KiB); reloaded test accuracy field {classifier.TestAccuracy:P2}");

        // The path generated images take: 64-px RGB renders (the loader's default), pooled to 32 by the classifier.
        var clock = Stopwatch.StartNew();
        var test = new FashionMnistDataset(new FashionMnistOptions { Split = DatasetSplit.Test, ImageSize = 64 });
        var images = Enumerable.Range(0, test.Count).Select(i => FashionMnistClassifierTrainer.RenderChw(test, i)).ToArray();
        var classes = Enumerable.Range(0, test.Count).Select(test.Label).ToArray();
        var p = classifier.PredictProbabilities(images, 64);
        Console.WriteLine($"real test images at 64 px: class accuracy {ClassAccuracy.Compute(p, classes):P2}, " +
                          $"Inception Score {InceptionScore.Compute(p, 10)} ({clock.Elapsed.TotalSeconds:F0} s)");

        var features = classifier.ExtractFeatures(images, 64);
        var first = features.Take(5000).ToArray();
        var second = features.Skip(5000).ToArray();
        Console.WriteLine($"FID (classifier features, 128-d): test[0,5000) vs test[5000,10000) = {FrechetDistance.Compute(first, second):F4}");
        var train = new FashionMnistDataset(new FashionMnistOptions { Split = DatasetSplit.Train, ImageSize = 64, MaxImages = 10_000 });
        var trainFeatures = classifier.ExtractFeatures(Enumerable.Range(0, train.Count).Select(i => FashionMnistClassifierTrainer.RenderChw(train, i)).ToArray(), 64);
        Console.WriteLine($"FID train[0,10000) vs test (10,000) = {FrechetDistance.Compute(trainFeatures, features):F4}");
        // Degraded copies of the test images: the distance must grow with the damage.
        var random = new Random(3);
        foreach (double sigma in new[] { 0.1, 0.3 })
        {
            var noisy = images.Take(5000).Select(im => im.Select(v => Math.Clamp(v + (float)(sigma * Gaussian(random)), -1f, 1f)).ToArray()).ToArray();
            var noisyP = classifier.PredictProbabilities(noisy, 64);
            Console.WriteLine($"test[0,5000) + Gaussian noise σ = {sigma}: FID vs test[5000,10000) = {FrechetDistance.Compute(classifier.ExtractFeatures(noisy, 64), second):F4}, " +
                              $"IS {InceptionScore.Compute(noisyP, 10)}, class accuracy {ClassAccuracy.Compute(noisyP, classes.Take(5000).ToArray()):P2}");
        }
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
