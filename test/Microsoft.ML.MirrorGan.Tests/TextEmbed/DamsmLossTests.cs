using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class DamsmLossTests
{
    private const double G1 = 4, G2 = 5, G3 = 10;

    // words[b][d][t], regions[b][d][r]: 3 captions/images, D = 2, R = 2, lengths 2, 1, 2 (third caption padded).
    private static readonly double[][][] Words =
    {
        new[] { new[] { 1.0, 0.5 }, new[] { 0.0, -1.0 } },
        new[] { new[] { -0.5, 0.0 }, new[] { 1.0, 0.0 } },
        new[] { new[] { 0.3, 0.2 }, new[] { 0.7, -0.4 } },
    };
    private static readonly int[] Lengths = { 2, 1, 2 };
    private static readonly double[][][] Regions =
    {
        new[] { new[] { 1.0, 0.0 }, new[] { 0.2, -0.8 } },
        new[] { new[] { -0.3, 0.6 }, new[] { 0.9, 0.1 } },
        new[] { new[] { 0.5, 0.5 }, new[] { -0.5, 0.4 } },
    };
    private static readonly double[][] Global = { new[] { 1.0, 0.2 }, new[] { -0.4, 0.9 }, new[] { 0.3, -0.7 } };
    private static readonly double[][] Sentence = { new[] { 0.8, 0.1 }, new[] { -0.2, 1.0 }, new[] { 0.6, 0.6 } };

    private static Tensor T3(double[][][] x) =>
        torch.tensor(x.SelectMany(a => a.SelectMany(b => b)).Select(v => (float)v).ToArray(), new long[] { x.Length, x[0].Length, x[0][0].Length });

    private static Tensor T2(double[][] x) =>
        torch.tensor(x.SelectMany(a => a).Select(v => (float)v).ToArray(), new long[] { x.Length, x[0].Length });

    private static double Cos(double[] a, double[] b) =>
        a.Zip(b, (x, y) => x * y).Sum() / Math.Max(Math.Sqrt(a.Sum(x => x * x)) * Math.Sqrt(b.Sum(x => x * x)), 1e-8);

    private static double[] Softmax(double[] x)
    {
        double m = x.Max();
        var e = x.Select(v => Math.Exp(v - m)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    // Score of image j for caption i, straight from the paper's definition.
    private static double WordScore(int j, int i)
    {
        int ti = Lengths[i], d = 2, r = 2;
        var s = new double[r, ti];
        for (int a = 0; a < r; a++)
            for (int t = 0; t < ti; t++)
                for (int k = 0; k < d; k++) s[a, t] += Regions[j][k][a] * Words[i][k][t];
        var perRegion = new double[r][];
        for (int a = 0; a < r; a++) perRegion[a] = Softmax(Enumerable.Range(0, ti).Select(t => s[a, t]).ToArray());
        double sum = 0;
        for (int t = 0; t < ti; t++)
        {
            var alpha = Softmax(Enumerable.Range(0, r).Select(a => G1 * perRegion[a][t]).ToArray());
            var c = Enumerable.Range(0, d).Select(k => Enumerable.Range(0, r).Sum(a => alpha[a] * Regions[j][k][a])).ToArray();
            var e = Enumerable.Range(0, d).Select(k => Words[i][k][t]).ToArray();
            sum += Math.Exp(G2 * Cos(c, e));
        }
        return G3 * Math.Log(sum);
    }

    private static (double, double) CrossEntropyBothWays(Func<int, int, double> score, int[]? classes)
    {
        int b = 3;
        double S(int j, int i) => classes is not null && i != j && classes[i] == classes[j] ? double.NegativeInfinity : score(j, i);
        double LogSumExp(IEnumerable<double> xs) { var a = xs.Where(double.IsFinite).ToArray(); double m = a.Max(); return m + Math.Log(a.Sum(v => Math.Exp(v - m))); }
        double l0 = Enumerable.Range(0, b).Average(j => LogSumExp(Enumerable.Range(0, b).Select(i => S(j, i))) - S(j, j));
        double l1 = Enumerable.Range(0, b).Average(i => LogSumExp(Enumerable.Range(0, b).Select(j => S(j, i))) - S(i, i));
        return (l0, l1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Word_loss_matches_a_hand_computation(bool masked)
    {
        TorchRuntime.EnsureLoaded();
        int[]? classes = masked ? new[] { 7, 7, 2 } : null;
        using var scope = NewDisposeScope();
        var (l0, l1, scores) = DamsmLoss.WordLoss(T3(Words), Lengths, T3(Regions), classes, G1, G2, G3);
        var (e0, e1) = CrossEntropyBothWays(WordScore, classes);
        Assert.Equal(WordScore(2, 1), scores[2, 1].item<float>(), 3);
        Assert.Equal(e0, l0.item<float>(), 4);
        Assert.Equal(e1, l1.item<float>(), 4);
        if (masked) Assert.True(float.IsNegativeInfinity(scores[0, 1].item<float>()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sentence_loss_matches_a_hand_computation(bool masked)
    {
        TorchRuntime.EnsureLoaded();
        int[]? classes = masked ? new[] { 7, 2, 7 } : null;
        using var scope = NewDisposeScope();
        var (l0, l1, _) = DamsmLoss.SentenceLoss(T2(Global), T2(Sentence), classes, G3);
        var (e0, e1) = CrossEntropyBothWays((j, i) => G3 * Cos(Global[j], Sentence[i]), classes);
        Assert.Equal(e0, l0.item<float>(), 4);
        Assert.Equal(e1, l1.item<float>(), 4);
    }
}
