using Microsoft.ML.MirrorGan.Onnx.Proto;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Onnx.Import;

/// <summary>
/// Read-only navigation over an ONNX graph (producers, consumers, initializers, attributes) for weight converters,
/// with errors that name the file, the node and what was expected.
/// </summary>
internal sealed class OnnxGraphView
{
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraphView(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX file '{path}' not found.", path);
        Path = path;
        using (var stream = File.OpenRead(path)) Model = ModelProto.Parser.ParseFrom(stream);
        Graph = Model.Graph ?? throw new InvalidDataException($"'{path}' has no graph.");
        _initializers = Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in Graph.Node)
            foreach (var input in node.Input)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<NodeProto>();
                list.Add(node);
            }
    }

    public string Path { get; }

    public ModelProto Model { get; }

    public GraphProto Graph { get; }

    /// <summary>The single graph input that is not an initializer.</summary>
    public string DataInput => Graph.Input.Select(i => i.Name).Single(n => !_initializers.ContainsKey(n));

    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var l) ? l : Array.Empty<NodeProto>();

    /// <summary>The only consumer of <paramref name="tensor"/>, which must be an <paramref name="opType"/> node.</summary>
    public NodeProto Next(string tensor, string opType)
    {
        var c = Consumers(tensor);
        if (c.Count != 1 || c[0].OpType != opType)
            throw Error($"expected '{tensor}' to feed one {opType} node, found [{string.Join(", ", c.Select(n => n.OpType + " " + n.Output.FirstOrDefault()))}]");
        return c[0];
    }

    public TensorProto Initializer(string name) =>
        _initializers.TryGetValue(name, out var t) ? t : throw Error($"initializer '{name}' is missing");

    /// <summary>An initializer's values as float32 (float_data, raw_data or double_data).</summary>
    public float[] Floats(TensorProto t)
    {
        if (t.DataType == (int)TensorProto.Types.DataType.Float)
        {
            if (t.FloatData.Count > 0) return t.FloatData.ToArray();
            var raw = t.RawData.Span;
            var values = new float[raw.Length / 4];
            for (int i = 0; i < values.Length; i++) values[i] = BitConverter.ToSingle(raw.Slice(i * 4, 4));
            return values;
        }
        if (t.DataType == (int)TensorProto.Types.DataType.Double) return t.DoubleData.Select(d => (float)d).ToArray();
        throw Error($"initializer '{t.Name}' has data type {t.DataType}; only float and double weights are supported");
    }

    public static long[] Ints(NodeProto node, string name, long[] fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray() ?? fallback;

    public static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>Copies initializer <paramref name="name"/> into <paramref name="target"/>, checking the shape.</summary>
    public void CopyInto(string name, Tensor target, string what)
    {
        var t = Initializer(name);
        var dims = t.Dims.ToArray();
        if (!dims.SequenceEqual(target.shape))
            throw Error($"{what}: initializer '{name}' has shape [{string.Join(",", dims)}] but the module expects [{string.Join(",", target.shape)}]");
        using var noGrad = no_grad();
        using var values = tensor(Floats(t), target.shape);
        target.copy_(values);
    }

    public InvalidDataException Error(string message) =>
        new($"ONNX file '{Path}': {message}. The file does not have the structure this converter reads (ML.NET's " +
            "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 files); use those files.");
}
