using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>Runs an ONNX graph on named inputs and compares its outputs with TorchSharp tensors.</summary>
internal static class OrtTestRun
{
    public static Dictionary<string, (float[] Values, int[] Shape)> Run(byte[] model, params NamedOnnxValue[] inputs)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run(inputs);
        var map = new Dictionary<string, (float[], int[])>();
        foreach (var r in results)
        {
            if (r.Value is Microsoft.ML.OnnxRuntime.Tensors.Tensor<float> f) map[r.Name] = (f.ToArray(), f.Dimensions.ToArray());
            else if (r.Value is Microsoft.ML.OnnxRuntime.Tensors.Tensor<bool> b) map[r.Name] = (b.Select(v => v ? 1f : 0f).ToArray(), b.Dimensions.ToArray());
        }
        return map;
    }

    public static NamedOnnxValue Float(string name, Tensor t) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(t.contiguous().data<float>().ToArray(), t.shape.Select(d => (int)d).ToArray()));

    public static NamedOnnxValue Int64(string name, long[] values, params int[] shape) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values, shape));

    public static NamedOnnxValue Int32(string name, int[] values, params int[] shape) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(values, shape));

    public static NamedOnnxValue Bool(string name, Tensor t) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(t.contiguous().data<bool>().ToArray(), t.shape.Select(d => (int)d).ToArray()));

    /// <summary>Max |ONNX − TorchSharp| after checking the shapes agree.</summary>
    public static float MaxDiff((float[] Values, int[] Shape) onnx, Tensor expected)
    {
        Assert.Equal(expected.shape.Select(d => (int)d).ToArray(), onnx.Shape);
        var want = expected.contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        float max = 0;
        for (int i = 0; i < want.Length; i++)
        {
            float d = Math.Abs(want[i] - onnx.Values[i]);
            if (float.IsNaN(d)) return float.NaN;
            max = Math.Max(max, d);
        }
        return max;
    }

    /// <summary>Random BatchNorm running statistics and affine parameters, so eval-mode export is tested for real.</summary>
    public static void RandomiseBatchNorms(nn.Module root, int seed)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (_, m) in root.named_modules())
        {
            if (m is not (TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d)) continue;
            foreach (var (name, buffer) in m.named_buffers())
            {
                if (name == "running_mean") buffer.copy_(randn(buffer.shape) * 0.2f);
                if (name == "running_var") buffer.copy_(rand(buffer.shape) + 0.5f);
            }
            foreach (var p in m.parameters()) p.copy_(randn(p.shape) * 0.2f + (p.shape.Length == 1 ? 1f : 0f));
        }
    }

    /// <summary>Writes one parity line to the test output file the report reads (bin/.../onnx-parity.txt).</summary>
    public static void Record(string what, float maxDiff)
    {
        lock (typeof(OrtTestRun))
            File.AppendAllText(Path.Combine(AppContext.BaseDirectory, "onnx-parity.txt"), $"{what}\t{maxDiff:E2}\n");
    }
}
