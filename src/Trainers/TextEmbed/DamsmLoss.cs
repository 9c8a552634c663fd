using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>
/// DAMSM matching losses (AttnGAN <c>miscc/losses.py</c>), both directions (image→text and text→image), with
/// entries of other same-class pairs masked to −∞ (the diagonal kept).
/// </summary>
public static class DamsmLoss
{
    private const double Eps = 1e-8;

    /// <summary>
    /// Word-level loss. For caption i and image j: softmax over words per region, ×γ1, softmax over regions per
    /// word, region context per word, cosine relevance R_t, S(j,i) = log Σ_t exp(γ2·R_t) (no 1/γ2 power, as the
    /// code), ×γ3, then cross-entropy both ways.
    /// </summary>
    /// <param name="words">B×D×T word features (T ≥ every length).</param>
    /// <param name="lengths">True word counts per caption.</param>
    /// <param name="regions">B×D×R region features.</param>
    /// <param name="classIds">Class per row for same-class masking, or null.</param>
    /// <param name="gamma1">γ1, attention sharpness over regions.</param>
    /// <param name="gamma2">γ2, relevance aggregation.</param>
    /// <param name="gamma3">γ3, score scale.</param>
    /// <returns>(image→text loss, text→image loss, the B×B score matrix [image j, caption i]).</returns>
    public static (Tensor Loss0, Tensor Loss1, Tensor Scores) WordLoss(Tensor words, IReadOnlyList<int> lengths, Tensor regions,
        IReadOnlyList<int>? classIds, double gamma1, double gamma2, double gamma3)
    {
        using var scope = NewDisposeScope();
        long batch = words.shape[0];
        var columns = new List<Tensor>();
        var contextT = regions.transpose(1, 2); // B×R×D
        for (int i = 0; i < batch; i++)
        {
            var word = words[i].narrow(1, 0, lengths[i]).unsqueeze(0).expand(batch, -1, -1); // B×D×Ti
            var attn = torch.bmm(contextT, word);                       // B×R×Ti
            attn = nn.functional.softmax(attn, 2);                      // over words, per region
            attn = nn.functional.softmax(attn.transpose(1, 2) * gamma1, 2); // B×Ti×R: over regions, per word
            var weighted = torch.bmm(regions, attn.transpose(1, 2));    // B×D×Ti
            var relevance = Cosine(word, weighted, 1);                  // B×Ti
            var score = (relevance * gamma2).exp().sum(1, keepdim: true).log(); // B×1
            columns.Add(score);
        }
        var scores = torch.cat(columns, 1) * gamma3; // [image j, caption i]
        scores = Mask(scores, classIds);
        var (l0, l1) = BothWays(scores);
        return (l0.MoveToOuterDisposeScope(), l1.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    /// <summary>Sentence-level loss: S(j,i) = γ3·cos(global_j, sentence_i), masked, cross-entropy both ways.</summary>
    /// <param name="imageGlobal">B×D image global features.</param>
    /// <param name="sentence">B×D sentence features.</param>
    /// <param name="classIds">Class per row for same-class masking, or null.</param>
    /// <param name="gamma3">Scale γ3.</param>
    public static (Tensor Loss0, Tensor Loss1, Tensor Scores) SentenceLoss(Tensor imageGlobal, Tensor sentence, IReadOnlyList<int>? classIds, double gamma3)
    {
        using var scope = NewDisposeScope();
        var n0 = (imageGlobal * imageGlobal).sum(1, keepdim: true).sqrt();
        var n1 = (sentence * sentence).sum(1, keepdim: true).sqrt();
        var scores = torch.mm(imageGlobal, sentence.t()) / torch.mm(n0, n1.t()).clamp_min(Eps) * gamma3;
        scores = Mask(scores, classIds);
        var (l0, l1) = BothWays(scores);
        return (l0.MoveToOuterDisposeScope(), l1.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    private static Tensor Cosine(Tensor a, Tensor b, long dim)
    {
        var dot = (a * b).sum(dim);
        var norm = (a * a).sum(dim).sqrt() * (b * b).sum(dim).sqrt(); // explicit: Tensor.norm(long) binds to the p-norm overload
        return dot / norm.clamp_min(Eps);
    }

    // Other rows of the same class are not wrong matches: take them out of the softmax.
    private static Tensor Mask(Tensor scores, IReadOnlyList<int>? classIds)
    {
        if (classIds is null) return scores;
        int b = classIds.Count;
        var mask = new bool[b * b];
        bool any = false;
        for (int j = 0; j < b; j++)
            for (int i = 0; i < b; i++)
                if (i != j && classIds[i] == classIds[j]) any = mask[j * b + i] = true;
        if (!any) return scores;
        var m = torch.tensor(mask, new long[] { b, b }).to(scores.device);
        return scores.masked_fill(m, double.NegativeInfinity);
    }

    private static (Tensor, Tensor) BothWays(Tensor scores)
    {
        var labels = torch.arange(scores.shape[0], dtype: ScalarType.Int64, device: scores.device);
        return (nn.functional.cross_entropy(scores, labels), nn.functional.cross_entropy(scores.t(), labels));
    }
}
