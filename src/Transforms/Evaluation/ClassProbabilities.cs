namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Helpers for classifier outputs: softmax of logits and a check that rows already are probabilities.</summary>
public static class ClassProbabilities
{
    /// <summary>Row-wise softmax of logits (in double, max-shifted so large logits do not overflow).</summary>
    public static float[][] Softmax(IReadOnlyList<float[]> logits)
    {
        if (logits is null) throw new ArgumentNullException(nameof(logits));
        return logits.Select(row =>
        {
            double max = row.Max();
            var e = row.Select(v => Math.Exp(v - max)).ToArray();
            double sum = e.Sum();
            return e.Select(v => (float)(v / sum)).ToArray();
        }).ToArray();
    }

    /// <summary>True when every row is non-negative and sums to 1 within <paramref name="tolerance"/>.</summary>
    public static bool LookLikeProbabilities(IReadOnlyList<float[]> rows, double tolerance = 1e-3)
    {
        if (rows is null) throw new ArgumentNullException(nameof(rows));
        return rows.All(r => r.All(v => v >= 0) && Math.Abs(r.Sum(v => (double)v) - 1) <= tolerance);
    }
}
