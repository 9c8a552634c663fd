using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Mean and standard deviation over folds.</summary>
/// <param name="Mean">Mean of the per-fold hit rates.</param>
/// <param name="StdDev">Standard deviation (population) of the per-fold hit rates.</param>
/// <param name="Count">Number of evaluated images.</param>
/// <param name="Folds">Number of folds.</param>
public sealed record FoldScore(double Mean, double StdDev, int Count, int Folds)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Mean:F4} ± {StdDev:F4} (n = {Count}, {Folds} folds)";
}

/// <summary>
/// R-precision as AttnGAN defines it (docs/paper-fidelity.md): for each image, its true caption plus
/// <see cref="Candidates"/> − 1 captions of images of other classes are ranked by the cosine between the image's
/// DAMSM global feature and each caption's sentence feature; a hit is the true caption ranked first (R = 1). The
/// hits are shuffled and split into folds; the result is the mean ± std of the fold hit rates. Works on real or
/// generated images alike: only their global features are needed.
/// </summary>
public sealed class RPrecision
{
    /// <summary>Candidate captions per image, the true one included (100 in AttnGAN).</summary>
    public int Candidates { get; init; } = 100;

    /// <summary>Folds (10 in AttnGAN).</summary>
    public int Folds { get; init; } = 10;

    /// <summary>Seed for sampling mismatched captions and shuffling.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Computes R-precision. Row i pairs image feature i with its true caption's sentence feature i and class i;
    /// the mismatched captions are drawn from the other rows' captions of a different class.
    /// </summary>
    public FoldScore Compute(IReadOnlyList<float[]> imageFeatures, IReadOnlyList<float[]> sentenceFeatures, IReadOnlyList<int> classIds)
    {
        int n = imageFeatures.Count;
        if (sentenceFeatures.Count != n || classIds.Count != n)
            throw new ArgumentException($"R-precision needs as many sentence features ({sentenceFeatures.Count}) and classes ({classIds.Count}) as images ({n}).");
        if (n == 0) throw new ArgumentException("R-precision needs at least one image.", nameof(imageFeatures));
        if (Candidates < 2) throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, "Candidates must be at least 2.");
        var random = new Random(Seed);
        var hits = new double[n];
        var pool = new List<int>();
        for (int i = 0; i < n; i++)
        {
            pool.Clear();
            for (int j = 0; j < n; j++) if (classIds[j] != classIds[i]) pool.Add(j);
            if (pool.Count < Candidates - 1)
                throw new InvalidOperationException($"Image {i} (class {classIds[i]}) has only {pool.Count} captions of other classes; {Candidates - 1} are needed. Evaluate more rows or lower Candidates.");
            double truth = Cosine(imageFeatures[i], sentenceFeatures[i]);
            bool hit = true;
            // Partial Fisher-Yates: Candidates−1 distinct mismatched captions.
            for (int k = 0; k < Candidates - 1; k++)
            {
                int pick = random.Next(k, pool.Count);
                (pool[k], pool[pick]) = (pool[pick], pool[k]);
                if (Cosine(imageFeatures[i], sentenceFeatures[pool[k]]) >= truth) { hit = false; break; }
            }
            hits[i] = hit ? 1 : 0;
        }
        return FoldStatistics(hits, Folds, random);
    }

    /// <summary>
    /// Encodes the images and captions of <paramref name="data"/> with <paramref name="model"/> and computes R-precision.
    /// Pass one row per image (e.g. each image's first caption); generated images work the same as real ones.
    /// </summary>
    public FoldScore Evaluate(TextEmbedTransformer model, IDataView data, string captionColumn = "Caption", string imageColumn = "Image", string classIdColumn = "ClassId")
    {
        var (images, sentences, classes) = Features(model, data, captionColumn, imageColumn, classIdColumn);
        return Compute(images, sentences, classes);
    }

    /// <summary>Global image features, sentence features and classes of every row of <paramref name="data"/>.</summary>
    public static (float[][] Images, float[][] Sentences, int[] Classes) Features(TextEmbedTransformer model, IDataView data,
        string captionColumn = "Caption", string imageColumn = "Image", string classIdColumn = "ClassId")
    {
        var scored = model.WithImageColumn(imageColumn, "__RPrecisionImage").Transform(data);
        var sentences = scored.GetColumn<float[]>(model.Columns.SentenceFeatureColumnName).ToArray();
        var images = scored.GetColumn<float[]>("__RPrecisionImage").ToArray();
        var classes = data.GetColumn<int>(classIdColumn).ToArray();
        return (images, sentences, classes);
    }

    /// <summary>Cosine similarity (0 when either vector is zero).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < a.Length; k++) { dot += a[k] * b[k]; na += a[k] * a[k]; nb += b[k] * b[k]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    internal static FoldScore FoldStatistics(double[] hits, int folds, Random random)
    {
        var shuffled = (double[])hits.Clone();
        random.Shuffle(shuffled);
        int f = Math.Clamp(folds, 1, shuffled.Length);
        var rates = new double[f];
        for (int k = 0; k < f; k++)
        {
            int start = k * shuffled.Length / f, end = (k + 1) * shuffled.Length / f;
            rates[k] = shuffled.AsSpan(start, end - start).ToArray().Average();
        }
        double mean = rates.Average();
        double std = Math.Sqrt(rates.Select(r => (r - mean) * (r - mean)).Average());
        return new FoldScore(mean, std, hits.Length, f);
    }
}

/// <summary>Text→image retrieval: each caption ranks every image by cosine of sentence and global image features.</summary>
public static class TextImageRetrieval
{
    /// <summary>
    /// Top-1 accuracy. A hit is the top image being the caption's own image (<paramref name="byClass"/> false) or an
    /// image of the caption's class (<paramref name="byClass"/> true: images of one class are interchangeable for
    /// its captions). Chance is 1/n for instances and about (images per class)/n for classes.
    /// </summary>
    public static double TopOne(IReadOnlyList<float[]> imageFeatures, IReadOnlyList<float[]> sentenceFeatures, IReadOnlyList<int> classIds, bool byClass)
    {
        int n = imageFeatures.Count, hits = 0;
        for (int i = 0; i < n; i++)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int j = 0; j < n; j++)
            {
                double s = RPrecision.Cosine(imageFeatures[j], sentenceFeatures[i]);
                if (s > bestScore) { bestScore = s; best = j; }
            }
            if (byClass ? classIds[best] == classIds[i] : best == i) hits++;
        }
        return n == 0 ? 0 : (double)hits / n;
    }
}
