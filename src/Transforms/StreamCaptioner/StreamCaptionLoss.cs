using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>
/// The frozen, differentiable re-description loss GLAM trains with (docs/paper-fidelity.md: λ·L_cap on the last stage):
/// L_stream(images, caption tokens, lengths) = mean cross-entropy of a pretrained captioner over the real tokens.
/// Every captioner parameter has <c>requires_grad = false</c> and the network is in eval mode (BatchNorm uses its
/// running statistics), so gradients flow to the images only and the captioner never changes.
/// Images are generator output in [−1, 1] and go through exactly the path used in pretraining and captioning.
/// Unlike the original (which has no end token), the step after the last word predicts <c>&lt;end&gt;</c> by default,
/// as in pretraining; pass <c>includeEndToken: false</c> for the original's targets.
/// </summary>
public sealed class StreamCaptionLoss
{
    private readonly StreamCaptionNet _net;
    private readonly bool _includeEnd;

    /// <summary>Freezes <paramref name="net"/> (shared with its transformer: it stays frozen and in eval mode).</summary>
    public StreamCaptionLoss(StreamCaptionNet net, Text.Vocabulary vocabulary, bool includeEndToken = true)
    {
        _net = net ?? throw new ArgumentNullException(nameof(net));
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _includeEnd = includeEndToken;
        foreach (var p in _net.parameters()) p.requires_grad = false;
        _net.eval();
    }

    /// <summary>The captioner's vocabulary: caption tokens must be encoded with it (check with <see cref="Text.Vocabulary.EnsureSameAs"/>).</summary>
    public Text.Vocabulary Vocabulary { get; }

    /// <summary>The scalar loss; differentiable with respect to <paramref name="images"/>.</summary>
    /// <param name="images">B×3×H×W in [−1, 1] (any size: the trunk resizes).</param>
    /// <param name="tokens">B×T word ids (int64) in the captioner's vocabulary, padded with 0.</param>
    /// <param name="lengths">Words per caption.</param>
    public Tensor Compute(Tensor images, Tensor tokens, long[] lengths)
    {
        _net.eval(); // a caller may have switched modes; BN must use running statistics here
        return _net.Loss(images, tokens.to(images.device), lengths, _includeEnd);
    }
}
