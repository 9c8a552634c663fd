using System.Diagnostics;
using Microsoft.ML.MirrorGan.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Settings of <see cref="FashionMnistClassifierTrainer.Train"/>.</summary>
public sealed class FashionMnistClassifierTrainingOptions
{
    /// <summary>Folder with the Fashion-MNIST IDX files. Default Debian's <c>dataset-fashion-mnist</c> folder.</summary>
    public string Folder { get; set; } = FashionMnistOptions.DebianFolder;

    /// <summary>Passes over the training images (the run also stops at <see cref="TimeLimit"/>). Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Wall-clock budget for training (null: none). The learning rate decays linearly to 0 over this budget when set, else over the epochs.</summary>
    public TimeSpan? TimeLimit { get; set; }

    /// <summary>Images per step. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Adam's initial learning rate. Default 0.002.</summary>
    public double LearningRate { get; set; } = 0.002;

    /// <summary>Train on the first this many training images only (null: all 60,000).</summary>
    public int? MaxTrainImages { get; set; }

    /// <summary>Measure accuracy on the first this many test images only (null: all 10,000).</summary>
    public int? MaxTestImages { get; set; }

    /// <summary>Flip half of each batch left-right (every class is left-right symmetric enough). Default true.</summary>
    public bool HorizontalFlip { get; set; } = true;

    /// <summary>
    /// Replace a random half of each batch by its 2× bilinear upsampling pooled back to 32 px: the path a 64-px render
    /// (the loader's and the generator's size) takes through <see cref="FashionMnistClassifierNet.Preprocess"/>, which is
    /// slightly blurrier than the original 28×28 photo. Default true.
    /// </summary>
    public bool ResampleAugmentation { get; set; } = true;

    /// <summary>Seed of the weights and the shuffling. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Receives a line per epoch (and at the end).</summary>
    public Action<string>? Log { get; set; }
}

/// <summary>The trained classifier and how it was trained.</summary>
/// <param name="Classifier">The classifier (its <see cref="FashionMnistClassifier.TestAccuracy"/> is set).</param>
/// <param name="TestAccuracy">Share of test images classified right (32-px renders).</param>
/// <param name="TestImages">Test images evaluated.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="Epochs">Passes over the training images (fractional when the time limit stopped it).</param>
/// <param name="Elapsed">Training time (without the test pass).</param>
public sealed record FashionMnistClassifierTrainingResult(FashionMnistClassifier Classifier, double TestAccuracy, int TestImages, long Steps, double Epochs, TimeSpan Elapsed);

/// <summary>
/// Trains the built-in <see cref="FashionMnistClassifier"/> on the real Fashion-MNIST training images with TorchSharp
/// (Adam, cross-entropy, linearly decaying learning rate) and measures its test accuracy.
/// </summary>
public static class FashionMnistClassifierTrainer
{
    /// <summary>Trains a classifier; every step runs inside <see cref="TorchGcGuard"/>.</summary>
    public static FashionMnistClassifierTrainingResult Train(MLContext mlContext, FashionMnistClassifierTrainingOptions? options = null)
    {
        if (mlContext is null) throw new ArgumentNullException(nameof(mlContext));
        options ??= new FashionMnistClassifierTrainingOptions();
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "Epochs must be at least 1.");
        if (options.BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 2 (BatchNorm).");
        var train = new FashionMnistDataset(new FashionMnistOptions { Folder = options.Folder, Split = DatasetSplit.Train, MaxImages = options.MaxTrainImages, ImageSize = FashionMnistClassifierNet.InputSize });
        var test = new FashionMnistDataset(new FashionMnistOptions { Folder = options.Folder, Split = DatasetSplit.Test, MaxImages = options.MaxTestImages, ImageSize = FashionMnistClassifierNet.InputSize });
        if (train.Count < options.BatchSize) throw new ArgumentException($"{train.Count} training images are fewer than one batch ({options.BatchSize}).", nameof(options));

        TorchRuntime.EnsureLoaded();
        manual_seed(options.Seed);
        var net = new FashionMnistClassifierNet();
        var optimizer = optim.Adam(net.parameters(), lr: options.LearningRate);
        var random = new Random(options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        int stepsPerEpoch = train.Count / options.BatchSize;
        long totalSteps = (long)stepsPerEpoch * options.Epochs, steps = 0;
        var clock = Stopwatch.StartNew();
        bool outOfTime = false;
        for (int epoch = 0; epoch < options.Epochs && !outOfTime; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            int lossCount = 0;
            net.train();
            for (int b = 0; b < stepsPerEpoch; b++)
            {
                double progress = options.TimeLimit is { } limit ? clock.Elapsed / limit : (double)steps / totalSteps;
                if (progress >= 1) { outOfTime = true; break; }
                foreach (var g in optimizer.ParamGroups) g.LearningRate = options.LearningRate * (1 - progress);
                var indices = order.AsSpan(b * options.BatchSize, options.BatchSize).ToArray();
                using (TorchGcGuard.Enter()) // TorchSharp's Scalar lifetime race: see TorchGcGuard
                using (var scope = NewDisposeScope())
                {
                    var (x, y) = Batch(train, indices);
                    if (options.HorizontalFlip) x = Half(x, x.flip(3), random);
                    if (options.ResampleAugmentation)
                        x = Half(x, nn.functional.avg_pool2d(nn.functional.interpolate(x, new long[] { 2 * x.shape[2], 2 * x.shape[3] },
                            mode: InterpolationMode.Bilinear, align_corners: false), 2), random);
                    var loss = nn.functional.cross_entropy(net.call(x), y);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>();
                    lossCount++;
                }
                steps++;
            }
            options.Log?.Invoke($"epoch {epoch + 1}: {lossCount} steps, mean loss {lossSum / Math.Max(1, lossCount):F4}, {clock.Elapsed.TotalSeconds:F0} s");
        }
        var elapsed = clock.Elapsed;
        var classifier = new FashionMnistClassifier(mlContext, net);
        double accuracy = Accuracy(classifier, test);
        options.Log?.Invoke($"test accuracy {accuracy:P2} on {test.Count} images after {steps} steps ({elapsed.TotalSeconds:F0} s)");
        return new FashionMnistClassifierTrainingResult(
            new FashionMnistClassifier(mlContext, net) { TestAccuracy = accuracy }, accuracy, test.Count, steps, (double)steps / stepsPerEpoch, elapsed);
    }

    /// <summary>
    /// The classifier saved at <paramref name="path"/>, or, when there is none, a newly trained one saved there (an
    /// evaluation command can then run offline after one training of a few minutes).
    /// </summary>
    public static FashionMnistClassifier LoadOrTrain(MLContext mlContext, string path, FashionMnistClassifierTrainingOptions? options = null)
    {
        if (mlContext is null) throw new ArgumentNullException(nameof(mlContext));
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("Give the path of the classifier's model zip.", nameof(path));
        if (File.Exists(path)) return FashionMnistClassifier.Load(mlContext, path);
        var classifier = Train(mlContext, options).Classifier;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        mlContext.Model.Save(classifier, null, path);
        return classifier;
    }

    /// <summary>Share of <paramref name="dataset"/>'s images (rendered at the dataset's size) that <paramref name="classifier"/> labels right.</summary>
    public static double Accuracy(IImageClassifier classifier, FashionMnistDataset dataset)
    {
        if (classifier is null) throw new ArgumentNullException(nameof(classifier));
        if (dataset is null) throw new ArgumentNullException(nameof(dataset));
        int size = dataset.Options.ImageSize, hits = 0;
        const int chunk = 1000;
        for (int start = 0; start < dataset.Count; start += chunk)
        {
            var images = Enumerable.Range(start, Math.Min(chunk, dataset.Count - start)).Select(i => RenderChw(dataset, i)).ToArray();
            var p = classifier.PredictProbabilities(images, size);
            for (int i = 0; i < p.Length; i++) hits += ArgMax(p[i]) == dataset.Label(start + i) ? 1 : 0;
        }
        return dataset.Count == 0 ? double.NaN : (double)hits / dataset.Count;
    }

    /// <summary>Image <paramref name="index"/> as 3×S×S floats in [−1, 1], S the dataset's <see cref="FashionMnistOptions.ImageSize"/>.</summary>
    public static float[] RenderChw(FashionMnistDataset dataset, int index)
    {
        var rgb = dataset.RenderRgb(index);
        int plane = rgb.Length / 3;
        var chw = new float[rgb.Length];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++) chw[c * plane + p] = rgb[3 * p + c] / 127.5f - 1f;
        return chw;
    }

    // The 32-px grey network input straight from the 28×28 bytes (2-px border), avoiding RGB renders while training.
    private static (Tensor X, Tensor Y) Batch(FashionMnistDataset data, int[] indices)
    {
        const int s = FashionMnistClassifierNet.InputSize, border = (s - 28) / 2;
        var x = new float[indices.Length * s * s];
        Array.Fill(x, -1f);
        var y = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            var src = data.Original(indices[i]);
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++) x[i * s * s + (r + border) * s + c + border] = src[r * 28 + c] / 127.5f - 1f;
            y[i] = data.Label(indices[i]);
        }
        return (tensor(x, new long[] { indices.Length, 1, s, s }), tensor(y));
    }

    // Each image of the batch independently: the altered one with probability 1/2.
    private static Tensor Half(Tensor x, Tensor altered, Random random)
    {
        var mask = new bool[x.shape[0]];
        for (int i = 0; i < mask.Length; i++) mask[i] = random.Next(2) == 0;
        return where(tensor(mask).view(-1, 1, 1, 1), altered, x);
    }

    private static int ArgMax(float[] row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}
