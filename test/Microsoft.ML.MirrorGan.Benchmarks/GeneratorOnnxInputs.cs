using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;

namespace Microsoft.ML.MirrorGan.Benchmarks;

/// <summary>Random inputs of the exported CA + generator graph; time per run does not depend on the values.</summary>
internal static class GeneratorOnnxInputs
{
    /// <summary>
    /// z, CA noise, word and sentence features uniform in [−1, 1]; caption lengths cycle through
    /// <paramref name="words"/> … <paramref name="words"/> − 3 so the padding mask is not trivial.
    /// </summary>
    public static NamedOnnxValue[] Random(GlamNetworkOptions o, int batch, int words, Random rng)
    {
        float[] Noise(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return new[]
        {
            NamedOnnxValue.CreateFromTensor(Z, new DenseTensor<float>(Noise(batch * o.ZDim), new[] { batch, o.ZDim })),
            NamedOnnxValue.CreateFromTensor(CaNoise, new DenseTensor<float>(Noise(batch * o.ConditionDim), new[] { batch, o.ConditionDim })),
            NamedOnnxValue.CreateFromTensor(WordFeatures, new DenseTensor<float>(Noise(batch * o.TextDim * words), new[] { batch, o.TextDim, words })),
            NamedOnnxValue.CreateFromTensor(PadMask, new DenseTensor<bool>(Enumerable.Range(0, batch * words).Select(k => k % words >= words - k / words % 4).ToArray(), new[] { batch, words })),
            NamedOnnxValue.CreateFromTensor(SentenceFeature, new DenseTensor<float>(Noise(batch * o.TextDim), new[] { batch, o.TextDim })),
        };
    }
}
