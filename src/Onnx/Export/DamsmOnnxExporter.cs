using Google.Protobuf;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Exports STEM's DAMSM image encoder (AttnGAN's <c>CNN_ENCODER</c> when imported: frozen Inception-v3, or any other
/// trunk) to ONNX: <c>image</c> [batch, 3, S, S] in [−1, 1] → <c>region_features</c> [batch, D, R] (the 1×1
/// <c>emb_features</c> projection of the region map, flattened) and <c>image_code</c> [batch, D] (<c>emb_cnn_code</c>
/// of the pooled feature), the two values DAMSM compares with word and sentence features.
/// </summary>
public static class DamsmOnnxExporter
{
    /// <summary>
    /// What the graph leaves out of a <see cref="DamsmImageEncoder"/> on purpose: only what its trunk leaves out (both
    /// projections are read). The coverage tests check that every other registered tensor is read.
    /// </summary>
    internal static IReadOnlyList<ExportExemption> Unexported { get; } = BackboneOnnxExporter.Unexported;

    /// <summary>Serialises the encoder (evaluation mode) for input images of side <paramref name="imageSize"/>.</summary>
    public static byte[] Export(DamsmImageEncoder encoder, int imageSize)
    {
        if (encoder is null) throw new ArgumentNullException(nameof(encoder));
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must be positive.");
        var index = new ModuleIndex(encoder, nameof(DamsmImageEncoder));
        var g = new OnnxGraphBuilder("mirrorgan_image_encoder");
        string x = g.Input(CaptionImage, DataType.Float, BatchDim, 3, imageSize, imageSize);
        var trunk = BackboneOnnxExporter.Emit(g, encoder.Backbone, x, imageSize);
        string regions = TorchOnnxOps.Reshape(g, TorchOnnxOps.Conv(g, index.Get<Conv2d>("emb_features"), trunk.Regions, 1, 0), 0, encoder.FeatureSize, -1);
        string code = TorchOnnxOps.Linear(g, index.Get<Linear>("emb_cnn_code"), trunk.Global);
        g.Output(regions, RegionFeatures, DataType.Float, BatchDim, encoder.FeatureSize, trunk.RegionHeight * trunk.RegionWidth);
        g.Output(code, ImageCode, DataType.Float, BatchDim, encoder.FeatureSize);
        return g.Build(OnnxExportInfo.ProducerVersion, OnnxExportInfo.Metadata("image_encoder")).ToByteArray();
    }
}
