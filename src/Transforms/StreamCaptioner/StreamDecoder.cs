using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>
/// STREAM's caption decoder: Embedding(vocabulary, E) → LSTM(E → H, one layer, batch first, zero initial state)
/// → Linear(H → vocabulary). The image feature is the first input step and predicts word 1; index 0
/// (<c>&lt;end&gt;</c>) closes a caption.
/// </summary>
public sealed class StreamDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed;
    private readonly LSTM lstm;
    private readonly Linear linear;

    /// <summary>Creates the decoder.</summary>
    public StreamDecoder(int vocabularySize, int embedSize, int hiddenSize) : base(TorchRuntime.Loaded(nameof(StreamDecoder)))
    {
        if (vocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "The vocabulary needs <end> and at least one word.");
        if (embedSize < 1) throw new ArgumentOutOfRangeException(nameof(embedSize), embedSize, "embedSize must be positive.");
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "hiddenSize must be positive.");
        VocabularySize = vocabularySize;
        EmbedSize = embedSize;
        HiddenSize = hiddenSize;
        embed = nn.Embedding(vocabularySize, embedSize);
        lstm = nn.LSTM(embedSize, hiddenSize, batchFirst: true);
        linear = nn.Linear(hiddenSize, vocabularySize);
        RegisterComponents();
    }

    /// <summary>Number of output classes (the vocabulary size, <c>&lt;end&gt;</c> included).</summary>
    public int VocabularySize { get; }

    /// <summary>Word-embedding size (equals the image feature size).</summary>
    public int EmbedSize { get; }

    /// <summary>LSTM hidden size.</summary>
    public int HiddenSize { get; }

    /// <summary>
    /// Teacher forcing: the input sequence is [feature, emb(w1), …, emb(w_T)] for padded tokens B×T, so the output
    /// B×(T+1)×V at step t predicts word t+1 (and step L predicts <c>&lt;end&gt;</c> for a caption of L words).
    /// The LSTM is causal, so padding after a caption's end never changes its valid steps.
    /// </summary>
    /// <param name="features">B×E image features.</param>
    public override Tensor forward(Tensor features) => throw new NotSupportedException("Call TeacherForced or Step.");

    /// <summary>Logits B×(T+1)×V for padded token ids B×T (int64), image feature first.</summary>
    public Tensor TeacherForced(Tensor features, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var inputs = torch.cat(new[] { features.unsqueeze(1), embed.call(tokens) }, 1);
        var (output, _, _) = lstm.call(inputs);
        return linear.call(output).MoveToOuterDisposeScope();
    }

    /// <summary>One decoding step. <paramref name="input"/> is B×E (the feature at step 0, then word embeddings).</summary>
    /// <returns>Log-probabilities B×V and the new LSTM state.</returns>
    public (Tensor LogProbs, (Tensor H, Tensor C) State) Step(Tensor input, (Tensor H, Tensor C)? state)
    {
        using var scope = NewDisposeScope();
        var (output, h, c) = lstm.call(input.unsqueeze(1), state);
        var logProbs = nn.functional.log_softmax(linear.call(output.squeeze(1)), 1);
        return (logProbs.MoveToOuterDisposeScope(), (h.MoveToOuterDisposeScope(), c.MoveToOuterDisposeScope()));
    }

    /// <summary>Embeds word ids (int64) into B×E.</summary>
    public Tensor Embed(Tensor ids) => embed.call(ids);
}
