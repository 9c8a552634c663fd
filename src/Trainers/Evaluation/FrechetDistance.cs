using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Mean and covariance of a feature set (the Gaussian a Fréchet distance compares).</summary>
/// <param name="Mean">The d feature means.</param>
/// <param name="Covariance">The d×d covariance, row-major, unbiased (divided by n − 1, as NumPy's <c>cov</c> and pytorch-fid).</param>
/// <param name="Count">Feature vectors it was computed from.</param>
public sealed record FrechetStatistics(double[] Mean, double[] Covariance, int Count)
{
    /// <summary>Feature length d.</summary>
    public int Dimension => Mean.Length;
}

/// <summary>
/// Fréchet distance between two Gaussians fitted to feature sets (FID when the features are Inception pool features):
/// d² = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2}).
/// </summary>
/// <remarks>
/// Method: everything in double precision with TorchSharp's LAPACK-backed <c>linalg.eigh</c> (symmetric eigen-decomposition).
/// Tr((Σ1Σ2)^{1/2}) equals Tr((Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2}), and the latter's argument is symmetric PSD, so both square
/// roots come from symmetric eigen-decompositions: Σ1 = VΛVᵀ gives Σ1^{1/2} = V Λ^{1/2} Vᵀ, and the trace of the second
/// root is Σ_i √λ_i of M = Σ1^{1/2} Σ2 Σ1^{1/2} (symmetrised against rounding). Eigenvalues below zero are rounding
/// noise of PSD matrices and are clamped to 0. This avoids pytorch-fid's <c>scipy.linalg.sqrtm</c> of the non-symmetric
/// product, which returns complex parts and needs an ε·I retry on near-singular covariances. A result below zero
/// (rounding, at most ~1e-12 of the traces) is reported as 0.
/// </remarks>
public static class FrechetDistance
{
    /// <summary>
    /// Mean and covariance of <paramref name="features"/>. Unless <paramref name="allowRankDeficient"/>, at least d + 1
    /// vectors are required: with fewer the covariance is singular, and the distance then depends on which directions
    /// the few samples happened to span rather than on the distribution.
    /// </summary>
    public static FrechetStatistics Statistics(IReadOnlyList<float[]> features, bool allowRankDeficient = false, string setName = "the feature set")
    {
        if (features is null) throw new ArgumentNullException(nameof(features));
        int n = features.Count;
        if (n < 2) throw new ArgumentException($"{setName} has {n} feature vectors; a covariance needs at least 2.", nameof(features));
        int d = features[0]?.Length ?? 0;
        if (d == 0) throw new ArgumentException($"{setName}: feature vector 0 is empty.", nameof(features));
        for (int i = 0; i < n; i++)
            if (features[i] is null || features[i].Length != d)
                throw new ArgumentException($"{setName}: feature vector {i} has {features[i]?.Length ?? 0} values but vector 0 has {d}.", nameof(features));
        if (!allowRankDeficient && n <= d)
            throw new ArgumentException(
                $"{setName} has {n} feature vectors of length {d}; a full-rank {d}×{d} covariance needs at least {d + 1}. " +
                "Evaluate more images (FID is usually computed on thousands), use a feature network with fewer dimensions, or pass allowRankDeficient: true to accept a singular covariance.",
                nameof(features));
        TorchRuntime.EnsureLoaded();
        var flat = new double[(long)n * d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++) flat[(long)i * d + k] = features[i][k];
        // Tensor − Tensor and / n pass temporary Scalars to libtorch: TorchSharp 0.107's Scalar lifetime race (TorchGcGuard).
        using var guard = TorchGcGuard.Enter();
        using var scope = NewDisposeScope();
        var x = tensor(flat, new long[] { n, d }, ScalarType.Float64);
        var mean = x.mean(new long[] { 0 });
        var centred = x - mean;
        var cov = centred.t().matmul(centred) / (n - 1);
        return new FrechetStatistics(mean.data<double>().ToArray(), cov.contiguous().data<double>().ToArray(), n);
    }

    /// <summary>The Fréchet distance d² between the Gaussians of two feature sets (e.g. real and generated images).</summary>
    public static double Compute(IReadOnlyList<float[]> features1, IReadOnlyList<float[]> features2, bool allowRankDeficient = false)
    {
        if (features1 is null) throw new ArgumentNullException(nameof(features1));
        if (features2 is null) throw new ArgumentNullException(nameof(features2));
        int d1 = features1.Count > 0 ? features1[0]?.Length ?? 0 : 0, d2 = features2.Count > 0 ? features2[0]?.Length ?? 0 : 0;
        if (d1 != d2) throw new ArgumentException($"Feature sizes differ: set 1 has vectors of length {d1}, set 2 of length {d2}. Extract both with the same network.");
        return Compute(Statistics(features1, allowRankDeficient, "set 1"), Statistics(features2, allowRankDeficient, "set 2"));
    }

    /// <summary>The Fréchet distance d² between two Gaussians.</summary>
    public static double Compute(FrechetStatistics a, FrechetStatistics b)
    {
        if (a is null) throw new ArgumentNullException(nameof(a));
        if (b is null) throw new ArgumentNullException(nameof(b));
        if (a.Dimension != b.Dimension)
            throw new ArgumentException($"Feature sizes differ: set 1 has {a.Dimension} dimensions, set 2 has {b.Dimension}. Extract both with the same network.");
        int d = a.Dimension;
        CheckCovariance(a, "set 1");
        CheckCovariance(b, "set 2");
        double meanTerm = 0;
        for (int k = 0; k < d; k++) meanTerm += (a.Mean[k] - b.Mean[k]) * (a.Mean[k] - b.Mean[k]);
        double traces = 0;
        for (int k = 0; k < d; k++) traces += a.Covariance[k * d + k] + b.Covariance[k * d + k];
        double distance = meanTerm + traces - 2 * TraceSqrtOfProduct(a.Covariance, b.Covariance, d);
        return Math.Max(0, distance);
    }

    /// <summary>Tr((Σ1^{1/2} Σ2 Σ1^{1/2})^{1/2}) = Tr((Σ1 Σ2)^{1/2}) for symmetric PSD d×d matrices (row-major).</summary>
    public static double TraceSqrtOfProduct(double[] sigma1, double[] sigma2, int d)
    {
        if (sigma1.Length != d * d || sigma2.Length != d * d)
            throw new ArgumentException($"Covariances must hold {d}×{d} = {d * d} values; got {sigma1.Length} and {sigma2.Length}.");
        TorchRuntime.EnsureLoaded();
        using var guard = TorchGcGuard.Enter(); // temporary Scalars (/ 2, clamp_min): see TorchGcGuard
        using var scope = NewDisposeScope();
        var s1 = Symmetric(tensor(sigma1, new long[] { d, d }, ScalarType.Float64));
        var s2 = Symmetric(tensor(sigma2, new long[] { d, d }, ScalarType.Float64));
        var (l1, v1) = linalg.eigh(s1);
        var root1 = v1.matmul(diag(l1.clamp_min(0).sqrt())).matmul(v1.t());
        var (l2, _) = linalg.eigh(Symmetric(root1.matmul(s2).matmul(root1)));
        return l2.clamp_min(0).sqrt().sum().item<double>();
    }

    private static Tensor Symmetric(Tensor m) => (m + m.t()) / 2;

    private static void CheckCovariance(FrechetStatistics s, string name)
    {
        if (s.Covariance.Length != s.Dimension * s.Dimension)
            throw new ArgumentException($"{name}: the covariance holds {s.Covariance.Length} values; a {s.Dimension}×{s.Dimension} matrix needs {s.Dimension * s.Dimension}.");
    }
}
