using Google.Protobuf;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Captioning;
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
/// Only the <see cref="SmallCnnBackbone"/> trunk is exportable for now.
/// </summary>
public static class StreamOnnxExporter
{
    /// <summary>Serialises the encoder (evaluation mode) for input images of side <paramref name="imageSize"/>.</summary>
    public static byte[] ExportEncoder(StreamEncoder encoder, int imageSize)
    {
        if (encoder is null) throw new ArgumentNullException(nameof(encoder));
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must be positive.");
        if (encoder.Backbone is not SmallCnnBackbone cnn)
            throw new NotSupportedException(
                $"ONNX export supports the small-cnn captioner trunk; this captioner uses '{encoder.Backbone.Kind}'. Train the captioner with Backbone = \"small-cnn:64:32\" to export it.");
        var index = new ModuleIndex(encoder, nameof(StreamEncoder));
        var g = new OnnxGraphBuilder("mirrorgan_stream_encoder");
        string x = g.Input(CaptionImage, DataType.Float, BatchDim, 3, imageSize, imageSize);
        // The trunk resizes only when the input side differs (bilinear, align_corners false), as its forward does.
        if (imageSize != cnn.InputSize) x = TorchOnnxOps.ResizeBilinear(g, x, cnn.InputSize, cnn.InputSize);
        long side = cnn.InputSize;
        for (int i = 0; index.Has($"backbone.trunk.conv{i}"); i++)
        {
            x = TorchOnnxOps.Conv(g, index.Get<Conv2d>($"backbone.trunk.conv{i}"), x, 2, 1);
            x = TorchOnnxOps.LeakyRelu(g, TorchOnnxOps.BatchNorm(g, index.Get<BatchNorm2d>($"backbone.trunk.bn{i}"), x), SmallCnnSlope);
            side = (side + 1) / 2;
        }
        string regions = x;
        string global = TorchOnnxOps.Conv(g, index.Get<Conv2d>("backbone.head.conv"), regions, 2, 1);
        global = TorchOnnxOps.LeakyRelu(g, TorchOnnxOps.BatchNorm(g, index.Get<BatchNorm2d>("backbone.head.bn"), global), SmallCnnSlope);
        global = g.Node("Flatten", new[] { g.Node("GlobalAveragePool", new[] { global }) }, Attr("axis", 1L));
        if (encoder.RegionGrid > 0)
        {
            string pooled = TorchOnnxOps.AdaptiveAvgPool2d(g, regions, side, side, encoder.RegionGrid);
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

    /// <summary>SmallCnnBackbone's LeakyReLU slope (fixed in its constructor).</summary>
    private const float SmallCnnSlope = 0.2f;
}
