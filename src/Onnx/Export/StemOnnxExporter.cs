using Google.Protobuf;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.Graph.OnnxGraphBuilder;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Exports STEM's <see cref="TextEncoder"/> (embedding → BiLSTM over packed sequences, dropout off) to ONNX:
/// <c>token_ids</c> int64 [batch, words] + <c>lengths</c> int32 [batch] → <c>word_features</c> [batch, D, words],
/// <c>pad_mask</c> bool [batch, words], <c>sentence_feature</c> [batch, D]. Tokenisation stays in C#
/// (<see cref="Text.Vocabulary"/>). ONNX's <c>sequence_lens</c> gives exactly what packing gives: the backward
/// direction starts at each caption's last word and outputs past the length are zero.
/// </summary>
public static class StemOnnxExporter
{
    /// <summary>
    /// What the graph leaves out of a <see cref="TextEncoder"/> on purpose: nothing (dropout holds no tensors; the
    /// embedding and both LSTM directions are read). The coverage tests check every registered tensor is read.
    /// </summary>
    internal static IReadOnlyList<ExportExemption> Unexported { get; } = Array.Empty<ExportExemption>();

    /// <summary>Serialises the encoder's graph (weights included) as ONNX bytes.</summary>
    public static byte[] Export(TextEncoder encoder)
    {
        if (encoder is null) throw new ArgumentNullException(nameof(encoder));
        var index = new ModuleIndex(encoder, nameof(TextEncoder));
        var g = new OnnxGraphBuilder("mirrorgan_text_encoder");
        long d = encoder.FeatureSize, h = encoder.HiddenSize;

        string ids = g.Input(TokenIds, DataType.Int64, BatchDim, WordsDim);
        string lengths = g.Input(Lengths, DataType.Int32, BatchDim);
        string emb = TorchOnnxOps.Embedding(g, index.Get<Embedding>("encoder"), ids);          // B×T×E
        string timeMajor = TorchOnnxOps.Transpose(g, emb, 1, 0, 2);                             // T×B×E
        var (y, yh, _) = TorchOnnxOps.Lstm(g, index.Get<LSTM>("rnn"), encoder.EmbeddingSize, h, bidirectional: true, timeMajor, lengths);
        // Y: T×2×B×H → B×2×H×T → B×D×T with D = [forward ‖ backward], the order PyTorch concatenates.
        string words = TorchOnnxOps.Reshape(g, TorchOnnxOps.Transpose(g, y, 2, 1, 3, 0), 0, d, -1);
        // Y_h: 2×B×H → B×2×H → B×D.
        string sentence = TorchOnnxOps.Reshape(g, TorchOnnxOps.Transpose(g, yh, 1, 0, 2), 0, -1);
        // pad_mask[b, t] = t ≥ lengths[b].
        string t = TorchOnnxOps.Squeeze(g, TorchOnnxOps.ShapeOf(g, ids, 1, 2), 0);
        string positions = g.Node("Range", new[] { g.Int64Initializer("zero", new[] { 0L }), t, g.Int64Initializer("one", new[] { 1L }) });
        string lens64 = TorchOnnxOps.Unsqueeze(g, g.Node("Cast", new[] { lengths }, Attr("to", (long)DataType.Int64)), 1);
        string mask = g.Node("GreaterOrEqual", new[] { positions, lens64 });

        g.Output(words, WordFeatures, DataType.Float, BatchDim, d, WordsDim);
        g.Output(mask, PadMask, DataType.Bool, BatchDim, WordsDim);
        g.Output(sentence, SentenceFeature, DataType.Float, BatchDim, d);
        return g.Build(OnnxExportInfo.ProducerVersion, OnnxExportInfo.Metadata("text_encoder")).ToByteArray();
    }
}
