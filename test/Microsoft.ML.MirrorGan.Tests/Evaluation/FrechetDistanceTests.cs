using Microsoft.ML.MirrorGan.Evaluation;

namespace Microsoft.ML.MirrorGan.Tests.Evaluation;

public class FrechetDistanceTests
{
    private static double[] Diagonal(params double[] values)
    {
        int d = values.Length;
        var m = new double[d * d];
        for (int i = 0; i < d; i++) m[i * d + i] = values[i];
        return m;
    }

    private static double[] Multiply(double[] a, double[] b, int d, bool transposeB = false)
    {
        var c = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += a[i * d + k] * (transposeB ? b[j * d + k] : b[k * d + j]);
                c[i * d + j] = s;
            }
        return c;
    }

    private static double[] Rotation3(double angle)
    {
        // Rotation about the z axis, then about the x axis: a dense orthogonal matrix.
        double c = Math.Cos(angle), s = Math.Sin(angle);
        var z = new[] { c, -s, 0, s, c, 0, 0, 0, 1 };
        var x = new[] { 1, 0, 0, 0, c, -s, 0, s, c };
        return Multiply(x, z, 3);
    }

    [Fact]
    public void A_set_against_itself_is_zero()
    {
        var random = new Random(1);
        var features = Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, 16).Select(k => (float)(random.NextDouble() * (k + 1))).ToArray()).ToArray();
        double trace = FrechetDistance.Statistics(features).Covariance.Where((_, i) => i % 17 == 0).Sum();
        Assert.True(FrechetDistance.Compute(features, features) <= 1e-6 * trace);
    }

    [Fact]
    public void Diagonal_gaussians_match_the_closed_form()
    {
        var a = new FrechetStatistics(new double[] { 0, 1, 2 }, Diagonal(1, 4, 9), 100);
        var b = new FrechetStatistics(new double[] { 1, 1, 0 }, Diagonal(4, 1, 1), 100);
        // ‖μ1 − μ2‖² + Σ (a + b − 2√(ab)) = 5 + (1 + 1 + 4).
        Assert.Equal(11.0, FrechetDistance.Compute(a, b), 9);
    }

    [Fact]
    public void Rotated_commuting_covariances_match_the_closed_form()
    {
        // Σ1 = R diag(a) Rᵀ and Σ2 = R diag(b) Rᵀ are dense but share eigenvectors: Tr √(Σ1Σ2) = Σ √(a_i b_i).
        var r = Rotation3(0.7);
        var s1 = Multiply(Multiply(r, Diagonal(1, 2, 5), 3), r, 3, transposeB: true);
        var s2 = Multiply(Multiply(r, Diagonal(3, 0.5, 5), 3), r, 3, transposeB: true);
        Assert.True(Math.Abs(s1[1]) > 0.1, "the test needs non-diagonal covariances");
        double expectedTrace = Math.Sqrt(3) + 1 + 5;
        Assert.Equal(expectedTrace, FrechetDistance.TraceSqrtOfProduct(s1, s2, 3), 9);
        var a = new FrechetStatistics(new double[] { 1, 0, 0 }, s1, 100);
        var b = new FrechetStatistics(new double[] { 0, 0, 0 }, s2, 100);
        Assert.Equal(1 + 8 + 8.5 - 2 * expectedTrace, FrechetDistance.Compute(a, b), 9);
    }

    [Fact]
    public void Random_psd_matrices_match_an_independent_square_root()
    {
        var random = new Random(7);
        const int d = 6;
        for (int trial = 0; trial < 3; trial++)
        {
            double[] RandomPsd()
            {
                var g = Enumerable.Range(0, d * d).Select(_ => random.NextDouble() * 2 - 1).ToArray();
                var m = Multiply(g, g, d, transposeB: true);
                for (int i = 0; i < d; i++) m[i * d + i] += 0.1;
                return m;
            }
            var s1 = RandomPsd();
            var s2 = RandomPsd();
            double expected = Trace(DenmanBeavers(Multiply(s1, s2, d), d), d);
            Assert.Equal(expected, FrechetDistance.TraceSqrtOfProduct(s1, s2, d), 6);
        }
    }

    [Fact]
    public void Too_few_samples_and_mismatched_sizes_explain_themselves()
    {
        var small = Enumerable.Range(0, 5).Select(i => new float[] { i, i * i, 1 - i, 2, i % 2, 3 * i, i }).ToArray();
        var e = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(small, small));
        Assert.Contains("needs at least 8", e.Message);
        Assert.True(FrechetDistance.Compute(small, small, allowRankDeficient: true) < 1e-6);
        var a = Enumerable.Range(0, 20).Select(i => new float[] { i, i % 3 }).ToArray();
        var b = Enumerable.Range(0, 20).Select(i => new float[] { i, i % 3, 1 }).ToArray();
        e = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(a, b));
        Assert.Contains("length 2", e.Message);
        Assert.Contains("length 3", e.Message);
    }

    [Fact]
    public void Sampled_gaussians_approach_the_closed_form()
    {
        // 20,000 samples of N(0, I) and N(1, 4I) in 2-d: d² = 2 + 2·(1 + 4 − 2·2) = 4; sampling error is well under 0.1.
        var random = new Random(11);
        double G() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var a = Enumerable.Range(0, 20000).Select(_ => new[] { (float)G(), (float)G() }).ToArray();
        var b = Enumerable.Range(0, 20000).Select(_ => new[] { (float)(1 + 2 * G()), (float)(1 + 2 * G()) }).ToArray();
        Assert.InRange(FrechetDistance.Compute(a, b), 3.9, 4.1);
    }

    private static double Trace(double[] m, int d) => Enumerable.Range(0, d).Sum(i => m[i * d + i]);

    // Denman–Beavers iteration Y ← (Y + Z⁻¹)/2, Z ← (Z + Y⁻¹)/2 → Y = √A for A with positive real eigenvalues (Σ1Σ2
    // is similar to a PD matrix): an independent square root of the non-symmetric product, no eigen-solver involved.
    private static double[] DenmanBeavers(double[] a, int d)
    {
        var y = (double[])a.Clone();
        var z = Diagonal(Enumerable.Repeat(1.0, d).ToArray());
        for (int k = 0; k < 60; k++)
        {
            var yi = Inverse(y, d);
            var zi = Inverse(z, d);
            y = y.Zip(zi, (p, q) => (p + q) / 2).ToArray();
            z = z.Zip(yi, (p, q) => (p + q) / 2).ToArray();
        }
        var residual = Multiply(y, y, d).Zip(a, (p, q) => Math.Abs(p - q)).Max();
        Assert.True(residual < 1e-8 * a.Max(Math.Abs), $"Denman–Beavers did not converge (residual {residual}).");
        return y;
    }

    private static double[] Inverse(double[] m, int d)
    {
        var a = (double[])m.Clone();
        var inv = Diagonal(Enumerable.Repeat(1.0, d).ToArray());
        for (int c = 0; c < d; c++)
        {
            int pivot = Enumerable.Range(c, d - c).OrderByDescending(r => Math.Abs(a[r * d + c])).First();
            for (int k = 0; k < d; k++)
            {
                (a[c * d + k], a[pivot * d + k]) = (a[pivot * d + k], a[c * d + k]);
                (inv[c * d + k], inv[pivot * d + k]) = (inv[pivot * d + k], inv[c * d + k]);
            }
            double p = a[c * d + c];
            for (int k = 0; k < d; k++) { a[c * d + k] /= p; inv[c * d + k] /= p; }
            for (int r = 0; r < d; r++)
            {
                if (r == c) continue;
                double f = a[r * d + c];
                for (int k = 0; k < d; k++) { a[r * d + k] -= f * a[c * d + k]; inv[r * d + k] -= f * inv[c * d + k]; }
            }
        }
        return inv;
    }
}
