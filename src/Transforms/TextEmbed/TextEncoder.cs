using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>
/// STEM's text encoder (AttnGAN's <c>RNN_ENCODER</c>): word embedding → dropout → one-layer bidirectional LSTM
/// run over <b>packed</b> sequences, so each caption's backward direction starts at its last real word, never at
/// padding. Output: word features B×D×T_max (T_max = longest caption in the batch; zero past each caption's
/// length) and the sentence feature B×D = [forward final ‖ backward final], with D = 2 × hidden size.
/// </summary>
public sealed class TextEncoder : nn.Module<Tensor, Tensor, (Tensor Words, Tensor Sentence)>
{
    private readonly Embedding encoder;
    private readonly Dropout drop;
    private readonly LSTM rnn;

    /// <summary>Creates the encoder with AttnGAN's initialisation (embedding U(−0.1, 0.1), LSTM PyTorch default).</summary>
    /// <param name="vocabularySize">Number of word indices (index 0 is padding).</param>
    /// <param name="embeddingSize">Word embedding size (300 in the paper).</param>
    /// <param name="hiddenSize">LSTM hidden size per direction (128 in the paper; features are twice this).</param>
    /// <param name="dropout">Dropout on the embeddings while training (0.5 in the paper).</param>
    public TextEncoder(int vocabularySize, int embeddingSize = 300, int hiddenSize = 128, double dropout = 0.5) : base(TorchRuntime.Loaded(nameof(TextEncoder)))
    {
        if (vocabularySize < 1) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "The vocabulary must have at least one entry.");
        if (embeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "embeddingSize must be positive.");
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "hiddenSize must be positive.");
        VocabularySize = vocabularySize;
        EmbeddingSize = embeddingSize;
        HiddenSize = hiddenSize;
        encoder = nn.Embedding(vocabularySize, embeddingSize);
        drop = nn.Dropout(dropout);
        rnn = nn.LSTM(embeddingSize, hiddenSize, numLayers: 1, batchFirst: true, bidirectional: true);
        RegisterComponents();
        using (torch.no_grad()) nn.init.uniform_(encoder.weight!, -0.1, 0.1);
    }

    /// <summary>Number of word indices.</summary>
    public int VocabularySize { get; }

    /// <summary>Word embedding size.</summary>
    public int EmbeddingSize { get; }

    /// <summary>LSTM hidden size per direction.</summary>
    public int HiddenSize { get; }

    /// <summary>Feature size D of word and sentence features (both directions).</summary>
    public int FeatureSize => 2 * HiddenSize;

    /// <summary>Encodes a batch.</summary>
    /// <param name="ids">B×T int64 word indices, padded with 0.</param>
    /// <param name="lengths">B int64 true lengths, each from 1 to T.</param>
    public override (Tensor Words, Tensor Sentence) forward(Tensor ids, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        long batch = ids.shape[0];
        var lens = lengths.to(ScalarType.Int64).cpu();
        // Sort longest first ourselves (as AttnGAN's prepare_data does) and undo it after, so the result does
        // not depend on how a packed LSTM reorders its final states.
        var (sortedLens, order) = lens.sort(descending: true);
        var inverse = order.argsort();
        var emb = drop.call(encoder.call(ids.index_select(0, order.to(ids.device))));
        var packed = nn.utils.rnn.pack_padded_sequence(emb, sortedLens, batch_first: true, enforce_sorted: true);
        var (output, hN, _) = rnn.call(packed);
        var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true);
        var back = inverse.to(ids.device);
        var words = padded.index_select(0, back).transpose(1, 2).contiguous();
        var sentence = hN.transpose(0, 1).contiguous().view(batch, -1).index_select(0, back);
        return (words.MoveToOuterDisposeScope(), sentence.MoveToOuterDisposeScope());
    }
}
