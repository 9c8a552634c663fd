using Google.Protobuf;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.Graph.OnnxGraphBuilder;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Exports the STREAM captioner as two graphs that a C# greedy/beam loop drives:
/// the encoder (<c>image</c> [batch, 3, S, S] in [−1, 1] → <c>image_feature</c> [batch, E]) and one decoder step
/// (<c>token</c> int64 [batch] (−1 at the first step, which reads <c>image_feature</c>), <c>image_feature</c>,
/// <c>h</c>, <c>c</c> [1, batch, H] → <c>log_probs</c> [batch, V], <c>h_out</c>, <c>c_out</c>).
/// Every trunk is exportable: small-cnn, the frozen ResNets (ML.NET's ResNet-18, imported ResNet-152) and Inception-v3.
/// </summary>
public static class StreamOnnxExporter
{
    /// <summary>
    /// What the encoder and decoder-step graphs leave out of a <see cref="StreamCaptionNet"/> on purpose; the coverage
    /// tests check that every other registered tensor is read.
    /// </summary>
    internal static IReadOnlyList<ExportExemption> Unexported { get; } =
        ExportExemption.BatchNormStepCounters                 // the encoder's BatchNorm1d
            .Concat(BackboneOnnxExporter.Unexported).Distinct().ToArray();

    /// <summary>Serialises the encoder (evaluation mode) for input images of side <paramref name="imageSize"/>.</summary>
    public static byte[] ExportEncoder(StreamEncoder encoder, int imageSize)
    {
        if (encoder is null) throw new ArgumentNullException(nameof(encoder));
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must be positive.");
        var index = new ModuleIndex(encoder, nameof(StreamEncoder));
        var g = new OnnxGraphBuilder("mirrorgan_stream_encoder");
        string x = g.Input(CaptionImage, DataType.Float, BatchDim, 3, imageSize, imageSize);
        var trunk = BackboneOnnxExporter.Emit(g, encoder.Backbone, x, imageSize);
        string global = trunk.Global;
        if (encoder.RegionGrid > 0)
        {
            string pooled = TorchOnnxOps.AdaptiveAvgPool2d(g, trunk.Regions, trunk.RegionHeight, trunk.RegionWidth, encoder.RegionGrid);
            global = TorchOnnxOps.Concat(g, 1, global, g.Node("Flatten", new[] { pooled }, Attr("axis", 1L)));
        }
        string feature = TorchOnnxOps.BatchNorm(g, index.Get<BatchNorm1d>("bn"), TorchOnnxOps.Linear(g, index.Get<Linear>("linear"), global));
        g.Output(feature, ImageFeature, DataType.Float, BatchDim, encoder.FeatureSize);
        return g.Build(OnnxExportInfo.ProducerVersion, OnnxExportInfo.Metadata("stream_encoder")).ToByteArray();
    }

    /// <summary>Serialises one decoder step: embedding (or the image feature at step 0) → LSTM step → Linear → log-softmax.</summary>
    public static byte[] ExportDecoderStep(StreamDecoder decoder)
    {
        if (decoder is null) throw new ArgumentNullException(nameof(decoder));
        var index = new ModuleIndex(decoder, nameof(StreamDecoder));
        var g = new OnnxGraphBuilder("mirrorgan_stream_decoder_step");
        long e = decoder.EmbedSize, hidden = decoder.HiddenSize;
        string token = g.Input(Token, DataType.Int64, BatchDim);
        string feature = g.Input(ImageFeature, DataType.Float, BatchDim, e);
        string h = g.Input(StateH, DataType.Float, 1, BatchDim, hidden);
        string c = g.Input(StateC, DataType.Float, 1, BatchDim, hidden);

        // token < 0 selects the image feature (step 0); other rows embed their previous word.
        string first = TorchOnnxOps.Unsqueeze(g, g.Node("Less", new[] { token, g.Int64Initializer("zero", new[] { 0L }) }), 1);
        string embedded = TorchOnnxOps.Embedding(g, index.Get<Embedding>("embed"), g.Node("Max", new[] { token, g.Int64Initializer("zero", new[] { 0L }) }));
        string input = TorchOnnxOps.Unsqueeze(g, g.Node("Where", new[] { first, feature, embedded }), 0);     // 1×B×E
        var (_, yh, yc) = TorchOnnxOps.Lstm(g, index.Get<LSTM>("lstm"), e, hidden, bidirectional: false, input, "", h, c);
        string logits = TorchOnnxOps.Linear(g, index.Get<Linear>("linear"), TorchOnnxOps.Squeeze(g, yh, 0));
        string logProbs = g.Node("LogSoftmax", new[] { logits }, Attr("axis", 1L));

        g.Output(logProbs, LogProbs, DataType.Float, BatchDim, decoder.VocabularySize);
        g.Output(yh, StateHOut, DataType.Float, 1, BatchDim, hidden);
        g.Output(yc, StateCOut, DataType.Float, 1, BatchDim, hidden);
        return g.Build(OnnxExportInfo.ProducerVersion, OnnxExportInfo.Metadata("stream_decoder_step")).ToByteArray();
    }

}
