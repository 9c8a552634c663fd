using Microsoft.ML.MirrorGan.Onnx.Proto;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>Reads the inputs and outputs of an exported graph back from its bytes, so the manifest lists exactly what was written.</summary>
internal static class OnnxGraphSignature
{
    public static (List<OnnxTensorManifest> Inputs, List<OnnxTensorManifest> Outputs) Read(byte[] model)
    {
        var graph = ModelProto.Parser.ParseFrom(model).Graph;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet();
        return (graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToList(), graph.Output.Select(Describe).ToList());
    }

    private static OnnxTensorManifest Describe(ValueInfoProto v)
    {
        var t = v.Type.TensorType;
        string type = ((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant();
        var shape = t.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam
            ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return new OnnxTensorManifest(v.Name, type, shape);
    }
}
