using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>Small helpers to make ONNX Runtime inputs and read outputs.</summary>
internal static class OnnxTensors
{
    public static NamedOnnxValue Input<T>(string name, T[] values, params int[] shape) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<T>(values, shape));

    public static float[] Floats(IReadOnlyCollection<DisposableNamedOnnxValue> results, string name) =>
        Find(results, name).AsTensor<float>().ToArray();

    public static DisposableNamedOnnxValue Find(IReadOnlyCollection<DisposableNamedOnnxValue> results, string name) =>
        results.FirstOrDefault(r => r.Name == name) ?? throw new InvalidDataException($"The ONNX graph returned no '{name}' output.");
}
