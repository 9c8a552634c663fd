using Google.Protobuf;
using Microsoft.ML.MirrorGan.Onnx.Proto;

namespace Microsoft.ML.MirrorGan.Onnx.Graph;

/// <summary>
/// Builds an ONNX graph node by node. Value names are generated unique; weights become initializers stored
/// as little-endian raw data (what ONNX requires, and what x64/arm64 hosts hold in memory).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph;
    private int _next;

    public OnnxGraphBuilder(string graphName, int opset = 17)
    {
        _graph = new GraphProto { Name = graphName };
        Opset = opset;
    }

    /// <summary>The default-domain opset the nodes are written for (Split without sizes needs ≤ 17).</summary>
    public int Opset { get; }

    public string Unique(string hint) => $"{hint}_{_next++}";

    public string Initializer(string hint, ReadOnlySpan<float> data, params long[] dims)
    {
        CheckCount(data.Length, dims, hint);
        var t = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[data.Length * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).CopyTo(bytes);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; big-endian hosts are not supported.");
        t.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string Int64Initializer(string hint, long[] data, params long[] dims)
    {
        CheckCount(data.Length, dims, hint);
        var t = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(data);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string Scalar(string hint, float value) => Initializer(hint, new[] { value });

    public string[] Node(string op, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = Unique(op) };
        n.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(_ => Unique(op.ToLowerInvariant())).ToArray();
        n.Output.AddRange(names);
        n.Attribute.AddRange(attributes);
        _graph.Node.Add(n);
        return names;
    }

    public string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes) => Node(op, inputs, 1, attributes)[0];

    /// <summary>Declares a graph input. Dimensions are numbers or symbolic names (e.g. "batch").</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] shape)
    {
        _graph.Input.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as a graph output named <paramref name="name"/> (through an Identity node).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] shape)
    {
        var n = new NodeProto { OpType = "Identity", Name = Unique("Identity") };
        n.Input.Add(value);
        n.Output.Add(name);
        _graph.Node.Add(n);
        _graph.Output.Add(ValueInfo(name, type, shape));
    }

    public ModelProto Build(string producerVersion, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Microsoft.ML.MirrorGan",
            ProducerVersion = producerVersion,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (metadata != null)
            foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attr(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (var d in shape)
            tensor.Shape.Dim.Add(d is string s
                ? new TensorShapeProto.Types.Dimension { DimParam = s }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private static void CheckCount(int count, long[] dims, string hint)
    {
        long expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != count) throw new ArgumentException($"Initializer '{hint}': {count} values do not fill shape [{string.Join(",", dims)}].");
    }
}
