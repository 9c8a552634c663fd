using Microsoft.ML.MirrorGan.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>
/// The whole STREAM captioner (<see cref="StreamEncoder"/> + <see cref="StreamDecoder"/>) and its teacher-forced
/// cross-entropy. Images always enter in [−1, 1]; see <see cref="StreamEncoder"/> for where preprocessing happens.
/// </summary>
public sealed class StreamCaptionNet : nn.Module<Tensor, Tensor>
{
    private readonly StreamEncoder encoder;
    private readonly StreamDecoder decoder;

    /// <summary>Creates the network.</summary>
    /// <param name="backbone">The CNN trunk.</param>
    /// <param name="vocabularySize">Vocabulary size, <c>&lt;end&gt;</c> included.</param>
    /// <param name="embedSize">Image-feature and word-embedding size.</param>
    /// <param name="hiddenSize">LSTM hidden size.</param>
    /// <param name="batchNormMomentum">Momentum of the encoder's BatchNorm1d (training only; 0.01 as the original).</param>
    /// <param name="regionGrid">See <see cref="StreamEncoder.RegionGrid"/> (0: the original's pooled feature only).</param>
    public StreamCaptionNet(ImageBackbone backbone, int vocabularySize, int embedSize, int hiddenSize, double batchNormMomentum = 0.01, int regionGrid = 0) : base(TorchRuntime.Loaded(nameof(StreamCaptionNet)))
    {
        encoder = new StreamEncoder(backbone, embedSize, batchNormMomentum, regionGrid);
        decoder = new StreamDecoder(vocabularySize, embedSize, hiddenSize);
        RegisterComponents();
    }

    /// <summary>The image encoder.</summary>
    public StreamEncoder Encoder => encoder;

    /// <summary>The caption decoder.</summary>
    public StreamDecoder Decoder => decoder;

    /// <summary>Image features B×E for images B×3×H×W in [−1, 1].</summary>
    public override Tensor forward(Tensor images) => encoder.call(images);

    /// <summary>
    /// Mean cross-entropy over the real tokens of each caption (exactly what packing the sequences would give).
    /// Step t of the teacher-forced sequence predicts word t+1; with <paramref name="includeEndToken"/> the step after
    /// the last word must also predict <c>&lt;end&gt;</c> (index 0), which is what teaches generation to stop.
    /// </summary>
    /// <param name="images">B×3×H×W in [−1, 1].</param>
    /// <param name="tokens">B×T word ids (int64), padded with 0 after each caption.</param>
    /// <param name="lengths">The number of words in each caption (1 ≤ L ≤ T).</param>
    /// <param name="includeEndToken">Whether the end token is a target too.</param>
    public Tensor Loss(Tensor images, Tensor tokens, long[] lengths, bool includeEndToken = true)
    {
        using var scope = NewDisposeScope();
        long b = tokens.shape[0], t = tokens.shape[1];
        if (images.shape[0] != b || lengths.Length != b)
            throw new ArgumentException($"Batch sizes differ: {images.shape[0]} images, {b} token rows, {lengths.Length} lengths.");
        var logits = decoder.TeacherForced(encoder.call(images), tokens);
        var targets = torch.cat(new[] { tokens, torch.zeros(b, 1, ScalarType.Int64, tokens.device) }, 1);
        var limit = torch.tensor(lengths, device: tokens.device).unsqueeze(1) + (includeEndToken ? 1 : 0);
        var positions = torch.arange(t + 1, device: tokens.device).unsqueeze(0);
        targets = torch.where(positions < limit, targets, torch.full_like(targets, -100));
        var loss = nn.functional.cross_entropy(logits.reshape(-1, decoder.VocabularySize), targets.reshape(-1), ignore_index: -100);
        return loss.MoveToOuterDisposeScope();
    }
}
