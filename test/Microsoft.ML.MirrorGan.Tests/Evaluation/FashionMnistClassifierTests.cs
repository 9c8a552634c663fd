using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;

namespace Microsoft.ML.MirrorGan.Tests.Evaluation;

public class FashionMnistClassifierTests
{
    [Fact]
    public void A_tiny_training_run_learns_saves_and_reloads()
    {
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(0);
        // 1,024 images, one epoch (16 steps): far from the benchmark's ~90 %, but well above chance (10 %).
        var result = FashionMnistClassifierTrainer.Train(ml, new FashionMnistClassifierTrainingOptions
        {
            MaxTrainImages = 1024, MaxTestImages = 300, Epochs = 1, LearningRate = 0.005,
        });
        Assert.Equal(16, result.Steps);
        Assert.InRange(result.TestAccuracy, 0.35, 1.0);
        Assert.Equal(result.TestAccuracy, result.Classifier.TestAccuracy);

        var test = new FashionMnistDataset(new FashionMnistOptions { Split = DatasetSplit.Test, MaxImages = 40, ImageSize = 64, CaptionsPerImage = 1 });
        var images = Enumerable.Range(0, test.Count).Select(i => FashionMnistClassifierTrainer.RenderChw(test, i)).ToArray();
        var before = result.Classifier.PredictProbabilities(images, 64);

        string path = Path.Combine(Path.GetTempPath(), $"fmcls-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(result.Classifier, null, path);
            var loaded = FashionMnistClassifier.Load(new MLContext(1), path);
            Assert.Equal(result.TestAccuracy, loaded.TestAccuracy);
            var after = loaded.PredictProbabilities(images, 64);
            Assert.All(Enumerable.Range(0, before.Length), i => Assert.Equal(before[i], after[i]));

            // As a transformer over the loader's view (MLImage column): the same classes as the tensor path.
            var scored = loaded.Transform(test.ToDataView());
            var predicted = scored.GetColumn<int>("PredictedClass").ToArray();
            var probabilities = scored.GetColumn<float[]>("ClassProbabilities").ToArray();
            Assert.Equal(40, predicted.Length);
            Assert.All(probabilities, p => Assert.Equal(1.0, p.Sum(v => (double)v), 4));
            int agree = predicted.Zip(loaded.PredictClasses(images, 64)).Count(p => p.First == p.Second);
            Assert.True(agree >= 36, $"MLImage path and CHW path agree on {agree}/40 (both downsample 64 → 32, by different filters)");
        }
        finally { File.Delete(path); }

        Assert.Equal(128, result.Classifier.ExtractFeatures(images.Take(3).ToArray(), 64)[0].Length);
    }

    [Fact]
    public void Wrong_image_sizes_are_named()
    {
        var ml = new MLContext(0);
        var classifier = new FashionMnistClassifier(ml, new FashionMnistClassifierNet());
        var e = Assert.Throws<ArgumentException>(() => classifier.PredictProbabilities(new[] { new float[3 * 32 * 32] }, 64));
        Assert.Contains("3×64×64", e.Message);
    }
}
