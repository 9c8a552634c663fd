namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// Inception Score (Salimans et al. 2016) as MirrorGAN/AttnGAN/StackGAN report it (docs/paper-fidelity.md):
/// IS = exp(E_x KL(p(y|x) ‖ p(y))), with p(y) the mean of p(y|x) over the split, computed on each of
/// <c>splits</c> consecutive splits (no shuffling, like the original <c>inception_score.py</c>) and reported as the mean ±
/// population standard deviation over the splits. Ranges from 1 (every image gets the same distribution) to the number
/// of classes (confident and balanced). Split k covers rows [k·n/splits, (k+1)·n/splits), so no row is dropped.
/// </summary>
public static class InceptionScore
{
    /// <summary>The Inception Score of class-probability rows p(y|x) (one row per image).</summary>
    /// <param name="probabilities">Rows of non-negative probabilities summing to 1 (tolerance 1e-3; use <see cref="Softmax"/> on logits).</param>
    /// <param name="splits">Splits (10 in the papers); at most the number of rows.</param>
    public static FoldScore Compute(IReadOnlyList<float[]> probabilities, int splits = 10)
    {
        if (probabilities is null) throw new ArgumentNullException(nameof(probabilities));
        int n = probabilities.Count;
        if (n == 0) throw new ArgumentException("The Inception Score needs at least one image.", nameof(probabilities));
        if (splits < 1 || splits > n)
            throw new ArgumentOutOfRangeException(nameof(splits), splits, $"splits must be between 1 and the number of images ({n}).");
        int classes = probabilities[0]?.Length ?? 0;
        for (int i = 0; i < n; i++) CheckRow(probabilities[i], i, classes);
        var scores = new double[splits];
        for (int k = 0; k < splits; k++)
        {
            int start = (int)((long)k * n / splits), end = (int)((long)(k + 1) * n / splits);
            var marginal = new double[classes];
            for (int i = start; i < end; i++)
                for (int c = 0; c < classes; c++) marginal[c] += probabilities[i][c];
            for (int c = 0; c < classes; c++) marginal[c] /= end - start;
            double kl = 0;
            for (int i = start; i < end; i++)
                for (int c = 0; c < classes; c++)
                {
                    double p = probabilities[i][c];
                    // 0·log 0 = 0; the original's NumPy code would give NaN for exact zeros.
                    if (p > 0) kl += p * (Math.Log(p) - Math.Log(marginal[c]));
                }
            scores[k] = Math.Exp(kl / (end - start));
        }
        double mean = scores.Average();
        return new FoldScore(mean, Math.Sqrt(scores.Select(s => (s - mean) * (s - mean)).Average()), n, splits);
    }

    /// <summary>Row-wise softmax of logits (see <see cref="ClassProbabilities.Softmax"/>).</summary>
    public static float[][] Softmax(IReadOnlyList<float[]> logits) => ClassProbabilities.Softmax(logits);

    private static void CheckRow(float[]? row, int index, int classes)
    {
        if (row is null || row.Length != classes || classes == 0)
            throw new ArgumentException($"Probability row {index} has {row?.Length ?? 0} classes; row 0 has {classes}. Every row needs the same, non-zero number of classes.", nameof(row));
        double sum = 0;
        foreach (var v in row)
        {
            if (!(v >= 0)) throw new ArgumentException($"Probability row {index} has the value {v}; probabilities must be non-negative (apply Softmax to logits first).", nameof(row));
            sum += v;
        }
        if (Math.Abs(sum - 1) > 1e-3)
            throw new ArgumentException($"Probability row {index} sums to {sum:G6}, not 1; pass probabilities (apply Softmax to logits first).", nameof(row));
    }
}
