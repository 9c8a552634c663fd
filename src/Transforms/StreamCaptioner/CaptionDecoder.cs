using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>A generated caption: word ids (without the closing <c>&lt;end&gt;</c>) and the total log-probability of the
/// emitted tokens (the <c>&lt;end&gt;</c> token included when it was emitted).</summary>
/// <param name="Ids">The word ids.</param>
/// <param name="LogProbability">Sum of log p(token) over the emitted tokens.</param>
/// <param name="Finished">Whether the caption ended with <c>&lt;end&gt;</c> (false when it hit the length limit).</param>
public sealed record GeneratedCaption(int[] Ids, float LogProbability, bool Finished);

/// <summary>Greedy and beam-search decoding for <see cref="StreamCaptionNet"/>.</summary>
public static class CaptionDecoder
{
    /// <summary>Greedy decoding of B image features (B×E), up to <paramref name="maxWords"/> words each.</summary>
    public static GeneratedCaption[] Greedy(StreamDecoder decoder, Tensor features, int maxWords)
    {
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "maxWords must be at least 1.");
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int b = (int)features.shape[0];
        var ids = new List<int>[b];
        var scores = new double[b];
        var done = new bool[b];
        var finished = new bool[b];
        for (int i = 0; i < b; i++) ids[i] = new List<int>();
        Tensor input = features;
        (Tensor, Tensor)? state = null;
        for (int step = 0; step <= maxWords && done.Contains(false); step++)
        {
            var (logProbs, next) = decoder.Step(input, state);
            state = next;
            var (best, arg) = logProbs.max(1);
            var bestValues = best.data<float>().ToArray();
            var argValues = arg.data<long>().ToArray();
            for (int i = 0; i < b; i++)
            {
                if (done[i]) continue;
                int token = (int)argValues[i];
                if (step == maxWords && token != 0) { done[i] = true; continue; } // length limit: no room for more words
                scores[i] += bestValues[i];
                if (token == 0) done[i] = finished[i] = true;
                else ids[i].Add(token);
            }
            input = decoder.Embed(arg);
        }
        return Enumerable.Range(0, b).Select(i => new GeneratedCaption(ids[i].ToArray(), (float)scores[i], finished[i])).ToArray();
    }

    /// <summary>
    /// Beam search for one image feature (1×E or E). Keeps the <paramref name="width"/> best partial captions by total
    /// log-probability; a caption that emits <c>&lt;end&gt;</c> is complete. Stops when no partial caption can beat the
    /// best complete one (log-probabilities only fall) or at <paramref name="maxWords"/>. No length normalisation, so
    /// width 1 is exactly greedy decoding.
    /// </summary>
    public static GeneratedCaption Beam(StreamDecoder decoder, Tensor feature, int width, int maxWords)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Beam width must be at least 1.");
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "maxWords must be at least 1.");
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var f = feature.dim() == 1 ? feature.unsqueeze(0) : feature;
        if (f.shape[0] != 1) throw new ArgumentException($"Beam decodes one image at a time; got {f.shape[0]} features.", nameof(feature));
        var beams = new List<(List<int> Ids, double Score)> { (new List<int>(), 0.0) };
        GeneratedCaption? bestDone = null;
        Tensor input = f;
        (Tensor H, Tensor C)? state = null;
        for (int step = 0; step <= maxWords && beams.Count > 0; step++)
        {
            var (logProbs, next) = decoder.Step(input, state);
            int v = (int)logProbs.shape[1];
            var lp = logProbs.data<float>().ToArray();
            var candidates = new List<(int Beam, int Token, double Score)>();
            for (int k = 0; k < beams.Count; k++)
            {
                // The top `width` tokens of each beam suffice for the global top `width`.
                var row = new ArraySegment<float>(lp, k * v, v);
                foreach (int tok in TopIndices(row, width))
                {
                    if (step == maxWords && tok != 0) continue;
                    candidates.Add((k, tok, beams[k].Score + row[tok]));
                }
            }
            if (step == maxWords)
            {
                // At the limit only <end> may follow; a beam whose top tokens do not include it ends unfinished (as greedy does).
                for (int k = 0; k < beams.Count; k++)
                    if (!candidates.Any(c => c.Beam == k))
                        Consider(ref bestDone, new GeneratedCaption(beams[k].Ids.ToArray(), (float)beams[k].Score, false));
            }
            var top = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Beam).ThenBy(c => c.Token).Take(step == maxWords ? candidates.Count : width).ToList();
            foreach (var c in top.Where(c => c.Token == 0))
                Consider(ref bestDone, new GeneratedCaption(beams[c.Beam].Ids.ToArray(), (float)c.Score, true));
            // Log-probabilities only fall, so a partial caption already below the best complete one cannot win.
            var alive = top.Where(c => c.Token != 0 && (bestDone is null || c.Score > bestDone.LogProbability)).ToList();
            if (alive.Count == 0) break;
            var idx = torch.tensor(alive.Select(c => (long)c.Beam).ToArray(), device: f.device);
            state = (next.H.index_select(1, idx), next.C.index_select(1, idx));
            input = decoder.Embed(torch.tensor(alive.Select(c => (long)c.Token).ToArray(), device: f.device));
            beams = alive.Select(c => (new List<int>(beams[c.Beam].Ids) { c.Token }, c.Score)).ToList();
        }
        return bestDone ?? new GeneratedCaption(Array.Empty<int>(), float.NegativeInfinity, false);
    }

    private static void Consider(ref GeneratedCaption? best, GeneratedCaption candidate)
    {
        if (best is null || candidate.LogProbability > best.LogProbability) best = candidate;
    }

    private static IEnumerable<int> TopIndices(ArraySegment<float> row, int k)
    {
        var order = Enumerable.Range(0, row.Count).OrderByDescending(i => row[i]).ThenBy(i => i);
        return order.Take(k);
    }
}
