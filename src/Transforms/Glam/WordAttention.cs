using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// AttnGAN's word-level attention (GlobalAttentionGeneral, docs/paper-fidelity.md): project word features to the image
/// channels, score every pixel against every word (no scaling), mask padding, softmax over words, and
/// return the word context per pixel and the attention map B×L×H×W.
/// </summary>
internal sealed class WordAttention : nn.Module<Tensor, Tensor, Tensor?, (Tensor Context, Tensor Attention)>
{
    private readonly Conv2d conv_context;
    private readonly bool _reproduceMaskBug;

    /// <param name="channels">Image feature channels (ngf).</param>
    /// <param name="wordDim">Word feature size (D of the text encoder).</param>
    /// <param name="reproduceMaskBug">
    /// AttnGAN issue #93: the original tiles the B×L padding mask batch-fastest while attention rows are
    /// pixel-fastest, so pixel q of image b gets caption ((b·H·W + q) mod B)'s mask. Off: each image uses its own
    /// caption's mask. On: bit-faithful to imported checkpoints.
    /// </param>
    public WordAttention(int channels, int wordDim, bool reproduceMaskBug) : base(nameof(WordAttention))
    {
        // conv1x1 over a B×D×L×1 "image" of words, as the original (so imported weights fit).
        conv_context = nn.Conv2d(wordDim, channels, 1, bias: false);
        _reproduceMaskBug = reproduceMaskBug;
        RegisterComponents();
    }

    /// <param name="h">B×C×H×W image features.</param>
    /// <param name="words">B×D×L word features.</param>
    /// <param name="padMask">B×L, true at padding positions; null when there is none.</param>
    public override (Tensor Context, Tensor Attention) forward(Tensor h, Tensor words, Tensor? padMask)
    {
        long b = h.shape[0], c = h.shape[1], height = h.shape[2], width = h.shape[3], l = words.shape[2];
        long q = height * width;
        var target = h.view(b, c, q).transpose(1, 2);                        // B×Q×C
        var source = conv_context.call(words.unsqueeze(3)).squeeze(3);      // B×C×L
        var logits = torch.bmm(target, source);                              // B×Q×L
        if (padMask is not null)
        {
            Tensor mask;
            if (_reproduceMaskBug)
                mask = padMask.repeat(q, 1).view(b, q, l);                  // row r = b·Q + q gets caption r mod B
            else
                mask = padMask.unsqueeze(1).expand(b, q, l);
            logits = logits.masked_fill(mask, float.NegativeInfinity);
        }
        var attn = torch.softmax(logits, 2);                                 // over words
        var context = torch.bmm(source, attn.transpose(1, 2)).view(b, c, height, width);
        var map = attn.transpose(1, 2).reshape(b, l, height, width);
        return (context, map);
    }
}
