using Microsoft.ML.MirrorGan.Captioning;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.Stem;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.QuickStart;

/// <summary>
/// Checks of the frozen text encoder and captioner that tell whether the GAN can learn an attribute at all
/// (<c>--diagnose</c>): the generator only sees an attribute through the sentence/word features, and the STREAM loss
/// only pushes it through what the captioner can tell apart on real images.
/// </summary>
internal static class Diagnostics
{
    private static readonly string[] Attributes = { "color", "shape", "size", "position" };

    public static Dictionary<string, object> Run(TextEmbedTransformer text, StreamCaptionerTransformer? captioner, int seed)
    {
        var result = new Dictionary<string, object> { ["text"] = TextSeparation(text) };
        if (captioner is not null) result["captioner_on_real"] = CaptionerOnReal(captioner, seed);
        return result;
    }

    /// <summary>
    /// Canonical captions that differ in one attribute: mean cosine of their layer-normalised sentence features (what CA
    /// and the conditional D see) and of the word features at the differing word. 1 means the encoder cannot tell them apart.
    /// </summary>
    private static Dictionary<string, object> TextSeparation(TextEmbedTransformer text)
    {
        var result = new Dictionary<string, object>();
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
            result[attribute] = new { sentence_cosine = sentence / a.Count, standardized_sentence_cosine = standardized / a.Count, word_cosine = word / a.Count, pairs = a.Count };
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

    /// <summary>
    /// The captioner on real held-out images: greedy captions scored per attribute, and — what the STREAM gradient uses —
    /// how often the canonical caption with the true value has a lower teacher-forced loss than every variant with another value.
    /// </summary>
    private static Dictionary<string, object> CaptionerOnReal(StreamCaptionerTransformer captioner, int seed)
    {
        var data = new ShapesDataset(ShapesSetup.HeldOutSeeds(seed));
        var scenes = data.Scenes.Take(100).ToArray();
        int size = captioner.ImageSize, plane = 3 * size * size;
        var pixels = new float[scenes.Length * plane];
        for (int i = 0; i < scenes.Length; i++)
        {
            using var image = data.Render(scenes[i]);
            ImageTensor.ToChw(image, size, pixels.AsSpan(i * plane, plane));
        }
        var result = new Dictionary<string, object>();
        using (var scope = torch.NewDisposeScope())
        {
            var captions = captioner.Generate(torch.tensor(pixels, new long[] { scenes.Length, 3, size, size }), beamWidth: 1)
                .Select(c => captioner.Vocabulary.Decode(c.Ids)).ToArray();
            var acc = ShapesCaptionAccuracy.Score(captions, scenes);
            result["greedy_caption_accuracy"] = new { color = acc.Color, shape = acc.Shape, size = acc.Size, position = acc.Position, example = captions[0] };
        }
        var net = captioner.Network;
        var ranking = new Dictionary<string, double>();
        foreach (var attribute in Attributes)
        {
            int right = 0;
            for (int i = 0; i < scenes.Length; i++)
            {
                var o = scenes[i].Objects[0];
                int values = attribute switch { "color" => 6, "shape" => 3, "size" => 2, _ => 5 };
                int truth = attribute switch { "color" => (int)o.Color, "shape" => (int)o.Shape, "size" => (int)o.Size, _ => (int)o.Position };
                var losses = new double[values];
                for (int v = 0; v < values; v++)
                {
                    var (c, h, s, p) = ((int)o.Color, (int)o.Shape, (int)o.Size, (int)o.Position);
                    switch (attribute) { case "color": c = v; break; case "shape": h = v; break; case "size": s = v; break; default: p = v; break; }
                    string caption = $"a {ShapesVocabulary.SizeNames[s]} {ShapesVocabulary.ColorNames[c]} {ShapesVocabulary.ShapeNames[h]} " +
                        $"{ShapesVocabulary.PositionPhrases[p][0]} on a {ShapesVocabulary.BackgroundNames[(int)scenes[i].Background]} background";
                    var ids = captioner.Vocabulary.Encode(caption).ToArray();
                    using var scope = torch.NewDisposeScope();
                    using var noGrad = torch.no_grad();
                    net.eval();
                    var img = torch.tensor(pixels.AsSpan(i * plane, plane).ToArray(), new long[] { 1, 3, size, size });
                    var tokens = torch.tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, ids.Length });
                    losses[v] = net.Loss(img, tokens, new long[] { ids.Length }).item<float>();
                }
                if (Array.IndexOf(losses, losses.Min()) == truth) right++;
            }
            ranking[attribute] = right / (double)scenes.Length;
        }
        result["teacher_forced_ranking"] = ranking;
        return result;
    }
}
