using Google.Protobuf;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

public class TorchOnnxOpsTests
{
    private static float[] RunOnnx(byte[] model, string inputName, float[] input, long[] shape)
    {
        using var session = new InferenceSession(model);
        var tensor = new DenseTensor<float>(input, shape.Select(d => (int)d).ToArray());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
        return results.First().AsEnumerable<float>().ToArray();
    }

    private static void RandomiseBatchNorm(nn.Module bn, long c)
    {
        foreach (var (name, buffer) in bn.named_buffers())
        {
            if (name == "running_mean") buffer.copy_(randn(c) * 0.2f);
            if (name == "running_var") buffer.copy_(rand(c) + 0.5f);
        }
        using (no_grad())
            foreach (var p in bn.parameters()) p.copy_(randn(p.shape) * 0.3f + 1f);
    }

    [Fact]
    public void Conv_batchnorm_leakyrelu_upsample_glu_match_TorchSharp()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var conv1 = nn.Conv2d(3, 8, 3, padding: 1, bias: false);
        var bn = nn.BatchNorm2d(8);
        var conv2 = nn.Conv2d(8, 6, 4, stride: 2, padding: 1);
        RandomiseBatchNorm(bn, 8);
        bn.eval();
        var x = randn(2, 3, 8, 8);
        var expected = nn.functional.glu(conv2.call(nn.functional.interpolate(
            nn.functional.leaky_relu(bn.call(conv1.call(x)), 0.2), scale_factor: new double[] { 2, 2 }, mode: InterpolationMode.Nearest)), 1);

        var g = new OnnxGraphBuilder("test");
        string input = g.Input("x", DataType.Float, "batch", 3, 8, 8);
        string h = TorchOnnxOps.Conv(g, conv1, input, 1, 1);
        h = TorchOnnxOps.BatchNorm(g, bn, h);
        h = TorchOnnxOps.LeakyRelu(g, h, 0.2f);
        h = TorchOnnxOps.UpsampleNearest2x(g, h);
        h = TorchOnnxOps.Conv(g, conv2, h, 2, 1);
        h = TorchOnnxOps.Glu(g, h);
        g.Output(h, "y", DataType.Float, "batch", 3, 8, 8);
        var actual = RunOnnx(g.Build("test").ToByteArray(), "x", TorchOnnxOps.Values(x), x.shape);

        var want = TorchOnnxOps.Values(expected);
        Assert.Equal(want.Length, actual.Length);
        Assert.True(want.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
    }

    [Fact]
    public void Linear_batchnorm1d_tanh_match_TorchSharp()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var lin = nn.Linear(5, 4);
        var bn = nn.BatchNorm1d(4);
        RandomiseBatchNorm(bn, 4);
        bn.eval();
        var x = randn(3, 5);
        var expected = TorchOnnxOps.Values(tanh(bn.call(lin.call(x))));

        var g = new OnnxGraphBuilder("test");
        string h = TorchOnnxOps.Linear(g, lin, g.Input("x", DataType.Float, "batch", 5));
        h = TorchOnnxOps.Unary(g, "Tanh", TorchOnnxOps.BatchNorm(g, bn, h));
        g.Output(h, "y", DataType.Float, "batch", 4);
        var actual = RunOnnx(g.Build("test").ToByteArray(), "x", TorchOnnxOps.Values(x), x.shape);
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
    }
}
