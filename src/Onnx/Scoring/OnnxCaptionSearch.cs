using Microsoft.ML.MirrorGan.StreamCaptioner;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Greedy and beam decoding over the exported decoder step, on plain arrays: the same rules as
/// <see cref="CaptionDecoder"/> (the TorchSharp one), so both give the same captions and scores (tested).
/// </summary>
internal sealed class OnnxCaptionSearch
{
    public delegate (float[] LogProbs, float[] H, float[] C) StepFn(long[] tokens, float[] features, float[] h, float[] c);

    private readonly StepFn _step;
    private readonly int _embed, _hidden, _vocabulary;

    public OnnxCaptionSearch(StepFn step, int embed, int hidden, int vocabulary)
    {
        _step = step;
        _embed = embed;
        _hidden = hidden;
        _vocabulary = vocabulary;
    }

    public GeneratedCaption[] Greedy(float[] features, int b, int maxWords)
    {
        var ids = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var scores = new double[b];
        var done = new bool[b];
        var finished = new bool[b];
        var tokens = Enumerable.Repeat(-1L, b).ToArray();      // −1: step 0 reads the image feature
        float[] h = new float[b * _hidden], c = new float[b * _hidden];
        for (int step = 0; step <= maxWords && done.Contains(false); step++)
        {
            var (lp, nh, nc) = _step(tokens, features, h, c);
            (h, c) = (nh, nc);
            for (int i = 0; i < b; i++)
            {
                int token = ArgMax(lp.AsSpan(i * _vocabulary, _vocabulary));
                tokens[i] = token;
                if (done[i]) continue;
                if (step == maxWords && token != 0) { done[i] = true; continue; }   // length limit: no room for more words
                scores[i] += lp[i * _vocabulary + token];
                if (token == 0) done[i] = finished[i] = true;
                else ids[i].Add(token);
            }
        }
        return Enumerable.Range(0, b).Select(i => new GeneratedCaption(ids[i].ToArray(), (float)scores[i], finished[i])).ToArray();
    }

    public GeneratedCaption Beam(float[] feature, int width, int maxWords)
    {
        var beams = new List<(List<int> Ids, double Score)> { (new List<int>(), 0.0) };
        GeneratedCaption? bestDone = null;
        long[] tokens = { -1 };
        float[] h = new float[_hidden], c = new float[_hidden];
        for (int step = 0; step <= maxWords && beams.Count > 0; step++)
        {
            var (lp, nh, nc) = _step(tokens, Repeat(feature, tokens.Length), h, c);
            var candidates = new List<(int Beam, int Token, double Score)>();
            for (int k = 0; k < beams.Count; k++)
            {
                var row = new ArraySegment<float>(lp, k * _vocabulary, _vocabulary);
                foreach (int tok in Enumerable.Range(0, _vocabulary).OrderByDescending(i => row[i]).ThenBy(i => i).Take(width))
                {
                    if (step == maxWords && tok != 0) continue;
                    candidates.Add((k, tok, beams[k].Score + row[tok]));
                }
            }
            if (step == maxWords)
                for (int k = 0; k < beams.Count; k++)
                    if (!candidates.Any(x => x.Beam == k))
                        Consider(ref bestDone, new GeneratedCaption(beams[k].Ids.ToArray(), (float)beams[k].Score, false));
            var top = candidates.OrderByDescending(x => x.Score).ThenBy(x => x.Beam).ThenBy(x => x.Token).Take(step == maxWords ? candidates.Count : width).ToList();
            foreach (var x in top.Where(x => x.Token == 0))
                Consider(ref bestDone, new GeneratedCaption(beams[x.Beam].Ids.ToArray(), (float)x.Score, true));
            // Log-probabilities only fall, so a partial caption already below the best complete one cannot win.
            var alive = top.Where(x => x.Token != 0 && (bestDone is null || x.Score > bestDone.LogProbability)).ToList();
            if (alive.Count == 0) break;
            h = SelectRows(nh, alive.Select(x => x.Beam));
            c = SelectRows(nc, alive.Select(x => x.Beam));
            tokens = alive.Select(x => (long)x.Token).ToArray();
            beams = alive.Select(x => (new List<int>(beams[x.Beam].Ids) { x.Token }, x.Score)).ToList();
        }
        return bestDone ?? new GeneratedCaption(Array.Empty<int>(), float.NegativeInfinity, false);
    }

    private float[] Repeat(float[] feature, int n)
    {
        var r = new float[n * _embed];
        for (int i = 0; i < n; i++) feature.CopyTo(r, i * _embed);
        return r;
    }

    private float[] SelectRows(float[] state, IEnumerable<int> rows) =>
        rows.SelectMany(k => state.AsSpan(k * _hidden, _hidden).ToArray()).ToArray();

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    private static void Consider(ref GeneratedCaption? best, GeneratedCaption candidate)
    {
        if (best is null || candidate.LogProbability > best.LogProbability) best = candidate;
    }
}
