using Microsoft.ML.MirrorGan.Evaluation;

namespace Microsoft.ML.MirrorGan.Tests.Evaluation;

public class InceptionScoreTests
{
    private static float[] OneHot(int k, int n) { var r = new float[n]; r[k] = 1; return r; }

    [Fact]
    public void Uniform_predictor_scores_one()
    {
        var p = Enumerable.Range(0, 500).Select(_ => Enumerable.Repeat(0.1f, 10).ToArray()).ToArray();
        var score = InceptionScore.Compute(p);
        Assert.Equal(1.0, score.Mean, 6);
        Assert.Equal(0.0, score.StdDev, 6);
        Assert.Equal(10, score.Folds);
    }

    [Theory]
    [InlineData(10, 1000)]
    [InlineData(4, 400)]
    [InlineData(2, 60)]
    public void Balanced_one_hot_predictor_scores_the_class_count(int classes, int n)
    {
        // Class i % N: every consecutive split of n/10 rows holds each class equally often.
        var p = Enumerable.Range(0, n).Select(i => OneHot(i % classes, classes)).ToArray();
        var score = InceptionScore.Compute(p, 10);
        Assert.Equal(classes, score.Mean, 6);
        Assert.Equal(0.0, score.StdDev, 6);
    }

    [Fact]
    public void Matches_the_definition_on_random_rows()
    {
        var random = new Random(5);
        var logits = Enumerable.Range(0, 30).Select(_ => Enumerable.Range(0, 5).Select(_ => (float)(3 * random.NextDouble())).ToArray()).ToArray();
        var p = InceptionScore.Softmax(logits);
        // exp(mean_x Σ_y p log(p / p̄)) with one split, written out independently.
        var marginal = Enumerable.Range(0, 5).Select(c => p.Average(r => (double)r[c])).ToArray();
        double expected = Math.Exp(p.Average(r => r.Select((v, c) => v * Math.Log(v / marginal[c])).Sum()));
        Assert.Equal(expected, InceptionScore.Compute(p, 1).Mean, 9);
        // Per-split scores: the mean of two halves' scores.
        var halves = new[] { p.Take(15).ToArray(), p.Skip(15).ToArray() }.Select(h => InceptionScore.Compute(h, 1).Mean).ToArray();
        var two = InceptionScore.Compute(p, 2);
        Assert.Equal(halves.Average(), two.Mean, 9);
        Assert.Equal(Math.Abs(halves[0] - halves[1]) / 2, two.StdDev, 9);
    }

    [Fact]
    public void Rejects_logits_and_ragged_rows_with_clear_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => InceptionScore.Compute(new[] { new[] { 2f, -1f } }, 1));
        Assert.Contains("Softmax", e.Message);
        e = Assert.Throws<ArgumentException>(() => InceptionScore.Compute(new[] { new[] { 0.5f, 0.5f }, new[] { 1f } }, 1));
        Assert.Contains("row 1 has 1 classes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => InceptionScore.Compute(new[] { new[] { 1f } }, 10));
    }

    [Fact]
    public void Class_accuracy_counts_argmax_hits()
    {
        var p = new[] { OneHot(1, 3), OneHot(2, 3), OneHot(0, 3), OneHot(0, 3) };
        Assert.Equal(0.75, ClassAccuracy.Compute(p, new[] { 1, 2, 0, 1 }), 9);
        var e = Assert.Throws<ArgumentException>(() => ClassAccuracy.Compute(p, new[] { 1, 2, 0, 7 }));
        Assert.Contains("class 7", e.Message);
    }
}
