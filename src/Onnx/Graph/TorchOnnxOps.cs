using TorchSharp;
using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.Graph.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Onnx.Graph;

/// <summary>
/// Emits ONNX nodes equivalent to TorchSharp layers, reading their weights. Each mapping was checked against
/// TorchSharp's own output (see the Onnx tests): Linear → Gemm(transB); nearest ×2 → Resize(asymmetric, floor);
/// BatchNorm (eval) → BatchNormalization; GLU → Split + Sigmoid + Mul.
/// </summary>
internal static class TorchOnnxOps
{
    public static float[] Values(Tensor t) => t.detach().cpu().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();

    public static string Linear(OnnxGraphBuilder g, Linear layer, string x)
    {
        var inputs = new List<string> { x, g.Initializer("linear_w", Values(layer.weight!), layer.weight!.shape) };
        if (layer.bias is not null) inputs.Add(g.Initializer("linear_b", Values(layer.bias), layer.bias.shape));
        return g.Node("Gemm", inputs, Attr("transB", 1L));
    }

    public static string Conv(OnnxGraphBuilder g, Conv2d layer, string x, long stride, long padding)
    {
        var w = layer.weight!;
        var inputs = new List<string> { x, g.Initializer("conv_w", Values(w), w.shape) };
        if (layer.bias is not null) inputs.Add(g.Initializer("conv_b", Values(layer.bias), layer.bias.shape));
        return g.Node("Conv", inputs,
            Attr("kernel_shape", w.shape[2], w.shape[3]),
            Attr("strides", stride, stride),
            Attr("pads", padding, padding, padding, padding));
    }

    public static string BatchNorm(OnnxGraphBuilder g, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, double eps, string x)
    {
        long c = runningMean.shape[0];
        string scale = g.Initializer("bn_scale", weight is null ? Enumerable.Repeat(1f, (int)c).ToArray() : Values(weight), c);
        string shift = g.Initializer("bn_bias", bias is null ? new float[c] : Values(bias), c);
        string mean = g.Initializer("bn_mean", Values(runningMean), c);
        string variance = g.Initializer("bn_var", Values(runningVar), c);
        return g.Node("BatchNormalization", new[] { x, scale, shift, mean, variance }, Attr("epsilon", (float)eps));
    }

    public static string BatchNorm(OnnxGraphBuilder g, BatchNorm2d bn, string x) =>
        BatchNorm(g, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps, x);

    /// <summary>BatchNorm1d over B×C: ONNX BatchNormalization wants N×C×..., which B×C already is.</summary>
    public static string BatchNorm(OnnxGraphBuilder g, BatchNorm1d bn, string x) =>
        BatchNorm(g, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps, x);

    public static string UpsampleNearest2x(OnnxGraphBuilder g, string x)
    {
        string scales = g.Initializer("scales", new[] { 1f, 1f, 2f, 2f }, 4);
        return g.Node("Resize", new[] { x, "", scales },
            Attr("mode", "nearest"), Attr("coordinate_transformation_mode", "asymmetric"), Attr("nearest_mode", "floor"));
    }

    public static string Glu(OnnxGraphBuilder g, string x, long axis = 1)
    {
        var halves = g.Node("Split", new[] { x }, 2, Attr("axis", axis));
        return g.Node("Mul", new[] { halves[0], g.Node("Sigmoid", new[] { halves[1] }) });
    }

    public static string LeakyRelu(OnnxGraphBuilder g, string x, float slope) => g.Node("LeakyRelu", new[] { x }, Attr("alpha", slope));

    public static string Unary(OnnxGraphBuilder g, string op, string x) => g.Node(op, new[] { x });

    public static string Reshape(OnnxGraphBuilder g, string x, params long[] shape) =>
        g.Node("Reshape", new[] { x, g.Int64Initializer("shape", shape, shape.Length) });
}
