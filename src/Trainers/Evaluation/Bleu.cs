namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// Corpus BLEU (Papineni et al. 2002), the standard definition: n-gram precisions clipped by the largest count in any
/// reference, summed over the corpus; BLEU-N = BP · exp(Σ_{n≤N} log p_n / N); brevity penalty
/// BP = exp(1 − r/c) when the candidate length c is below the effective reference length r (per sentence the
/// reference length closest to the candidate's, the shorter one on ties), else 1. No smoothing: a zero precision gives 0.
/// </summary>
public static class Bleu
{
    /// <summary>BLEU-1 … BLEU-<paramref name="maxOrder"/> over a corpus of tokenised candidates and their references.</summary>
    /// <param name="candidates">One token list per generated caption.</param>
    /// <param name="references">For each candidate, one or more tokenised references.</param>
    /// <param name="maxOrder">Largest n-gram order (4 for BLEU-4).</param>
    /// <returns>Element n−1 is BLEU-n, in [0, 1].</returns>
    public static double[] Corpus(IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references, int maxOrder = 4)
    {
        if (candidates is null) throw new ArgumentNullException(nameof(candidates));
        if (references is null) throw new ArgumentNullException(nameof(references));
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference sets; give one set per candidate.", nameof(references));
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, "maxOrder must be at least 1.");
        var matches = new long[maxOrder];
        var totals = new long[maxOrder];
        long candidateLength = 0, referenceLength = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            var cand = candidates[i];
            var refs = references[i];
            if (refs.Count == 0) throw new ArgumentException($"Candidate {i} has no reference.", nameof(references));
            candidateLength += cand.Count;
            referenceLength += refs.Select(r => r.Count).OrderBy(l => Math.Abs(l - cand.Count)).ThenBy(l => l).First();
            for (int n = 1; n <= maxOrder; n++)
            {
                var counts = NGrams(cand, n);
                var maxRef = new Dictionary<string, int>();
                foreach (var r in refs)
                    foreach (var (g, c) in NGrams(r, n))
                        maxRef[g] = Math.Max(maxRef.GetValueOrDefault(g), c);
                foreach (var (g, c) in counts)
                {
                    matches[n - 1] += Math.Min(c, maxRef.GetValueOrDefault(g));
                    totals[n - 1] += c;
                }
            }
        }
        double bp = candidateLength == 0 ? 0 : candidateLength >= referenceLength ? 1 : Math.Exp(1 - (double)referenceLength / candidateLength);
        var result = new double[maxOrder];
        double logSum = 0;
        bool zero = false;
        for (int n = 1; n <= maxOrder; n++)
        {
            if (matches[n - 1] == 0 || totals[n - 1] == 0) zero = true;
            else logSum += Math.Log((double)matches[n - 1] / totals[n - 1]);
            result[n - 1] = zero ? 0 : bp * Math.Exp(logSum / n);
        }
        return result;
    }

    private static Dictionary<string, int> NGrams(IReadOnlyList<string> tokens, int n)
    {
        var d = new Dictionary<string, int>();
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            string g = string.Join('\u0001', Enumerable.Range(i, n).Select(k => tokens[k]));
            d[g] = d.GetValueOrDefault(g) + 1;
        }
        return d;
    }
}
