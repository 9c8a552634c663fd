using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// MirrorGAN's global sentence attention as implemented (GLAttention.py, docs/paper-fidelity.md): s′ = Linear(c_code),
/// gate the image features by s′, conv1x1, softmax over <b>channels</b> at each pixel, and weight s′ by it.
/// The paper's text reads like a spatial softmax; the code (and so any imported checkpoint) uses channels.
/// </summary>
internal sealed class SentenceAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear linear;
    private readonly Conv2d conv_sentence_vis;

    public SentenceAttention(int channels, int conditionDim) : base(nameof(SentenceAttention))
    {
        linear = nn.Linear(conditionDim, channels);
        conv_sentence_vis = GlamBlocks.Conv1x1(channels, channels);
        RegisterComponents();
    }

    /// <param name="h">B×C×H×W image features.</param>
    /// <param name="cCode">B×conditionDim CA sample.</param>
    /// <returns>The sentence context B×C×H×W.</returns>
    public override Tensor forward(Tensor h, Tensor cCode)
    {
        var s = linear.call(cCode).unsqueeze(2).unsqueeze(3);   // B×C×1×1, broadcast over pixels
        var gate = conv_sentence_vis.call(h * s);
        var attn = torch.softmax(gate, 1);
        return s * attn;
    }
}
