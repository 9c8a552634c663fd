using System.Text.Json.Serialization;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>How far apart a text encoder puts canonical Shapes captions that differ in one attribute (1: not at all).</summary>
/// <param name="SentenceCosine">Mean cosine of the layer-normalised sentence features (what CA and the conditional D see).</param>
/// <param name="StandardizedSentenceCosine">The same after standardising each dimension over the captions compared.</param>
/// <param name="WordCosine">Mean cosine of the word features at the differing word.</param>
/// <param name="Pairs">Caption pairs compared.</param>
public sealed record ShapesTextSeparationResult(
    [property: JsonPropertyName("sentence_cosine")] double SentenceCosine,
    [property: JsonPropertyName("standardized_sentence_cosine")] double StandardizedSentenceCosine,
    [property: JsonPropertyName("word_cosine")] double WordCosine,
    [property: JsonPropertyName("pairs")] int Pairs);

/// <summary>
/// Whether a frozen text encoder tells Shapes captions apart per attribute: the generator only sees an attribute through
/// these features, so an attribute the encoder barely separates is one the GAN learns late.
/// </summary>
public static class ShapesTextSeparation
{
    private static readonly string[] Attributes = { "color", "shape", "size", "position" };

    /// <summary>
    /// Per attribute (color, shape, size, position): canonical captions that differ in one attribute: mean cosine of their layer-normalised sentence features (what CA
    /// and the conditional D see) and of the word features at the differing word. 1 means the encoder cannot tell them apart.
    /// </summary>
    public static IReadOnlyDictionary<string, ShapesTextSeparationResult> Measure(TextEmbedTransformer text)
    {
        var result = new Dictionary<string, ShapesTextSeparationResult>();
        foreach (var attribute in Attributes)
        {
            var a = new List<string>();
            var b = new List<string>();
            int slot = -1;
            foreach (var (size, color, shape, position) in Combinations())
            {
                string Caption(int s, int c, int h, int p) => ShapesCaptionText(s, c, h, p);
                switch (attribute)
                {
                    case "color": a.Add(Caption(size, color, shape, position)); b.Add(Caption(size, (color + 1) % 6, shape, position)); slot = 2; break;
                    case "shape": a.Add(Caption(size, color, shape, position)); b.Add(Caption(size, color, (shape + 1) % 3, position)); slot = 3; break;
                    case "size": a.Add(Caption(size, color, shape, position)); b.Add(Caption(1 - size, color, shape, position)); slot = 1; break;
                    default: a.Add(Caption(size, color, shape, position)); b.Add(Caption(size, color, shape, (position + 1) % 4)); slot = 6; break;
                }
            }
            var fa = text.EncodeCaptions(a);
            var fb = text.EncodeCaptions(b);
            var (mean, std) = Statistics(fa.SentenceFeatures.Concat(fb.SentenceFeatures).ToList());
            double sentence = 0, standardized = 0, word = 0;
            int d = text.FeatureSize, w = text.MaxWords;
            for (int i = 0; i < a.Count; i++)
            {
                sentence += Cosine(LayerNorm(fa.SentenceFeatures[i]), LayerNorm(fb.SentenceFeatures[i]));
                standardized += Cosine(Standardize(fa.SentenceFeatures[i], mean, std), Standardize(fb.SentenceFeatures[i], mean, std));
                var wa = new float[d];
                var wb = new float[d];
                for (int f = 0; f < d; f++) { wa[f] = fa.WordFeatures[i][f * w + slot]; wb[f] = fb.WordFeatures[i][f * w + slot]; }
                word += Cosine(wa, wb);
            }
            result[attribute] = new ShapesTextSeparationResult(sentence / a.Count, standardized / a.Count, word / a.Count, a.Count);
        }
        return result;
    }

    // The canonical template ("a {size} {colour} {shape} {position} on a white background"); positions 0–3 are the
    // one-word ones (left/right/top/bottom) so word 6 is the position word in every caption compared.
    private static string ShapesCaptionText(int size, int color, int shape, int position) =>
        $"a {ShapesVocabulary.SizeNames[size]} {ShapesVocabulary.ColorNames[color]} {ShapesVocabulary.ShapeNames[shape]} " +
        $"{ShapesVocabulary.PositionPhrases[position][0]} on a white background";

    private static IEnumerable<(int, int, int, int)> Combinations()
    {
        for (int s = 0; s < 2; s++)
            for (int c = 0; c < 6; c++)
                for (int h = 0; h < 3; h++)
                    for (int p = 0; p < 4; p++)
                        yield return (s, c, h, p);
    }

    // Per-dimension statistics over the canonical captions compared: what MirrorGanTrainerOptions.StandardizeSentence does
    // with the training captions' statistics.
    private static (double[] Mean, double[] Std) Statistics(IReadOnlyList<float[]> rows)
    {
        int d = rows[0].Length;
        var mean = Enumerable.Range(0, d).Select(i => rows.Average(r => (double)r[i])).ToArray();
        var std = Enumerable.Range(0, d).Select(i => Math.Sqrt(rows.Average(r => (r[i] - mean[i]) * (r[i] - mean[i]))) + 1e-9).ToArray();
        return (mean, std);
    }

    private static float[] Standardize(float[] v, double[] mean, double[] std) =>
        LayerNorm(v.Select((x, i) => (float)((x - mean[i]) / std[i])).ToArray());

    private static float[] LayerNorm(float[] v)
    {
        double mean = v.Average(), var = v.Select(x => (x - mean) * (x - mean)).Average();
        return v.Select(x => (float)((x - mean) / Math.Sqrt(var + 1e-5))).ToArray();
    }

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb + 1e-12);
    }

}
