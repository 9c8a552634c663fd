namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// The generator's noise for one image: z (ZDim values) then the conditioning-augmentation ε (ConditionDim values), N(0, 1),
/// a pure function of the seed. Both back ends draw from here — the TorchSharp transformer and the ONNX Runtime one —
/// so the same caption and seed give the same image from <c>model.zip</c> and from its ONNX export, in any process,
/// thread or batch, on any device. SplitMix64 on the seed, Box–Muller on top (no platform or libtorch RNG involved).
/// </summary>
public static class GenerationNoise
{
    /// <summary>Fills <paramref name="destination"/> (z first, then ε) with the noise of <paramref name="seed"/>.</summary>
    public static void Fill(int seed, Span<float> destination)
    {
        var rng = SplitMix64.FromState(0x2545F4914F6CDD1DUL ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL));
        for (int i = 0; i < destination.Length; i += 2)
        {
            // u1 in (0, 1], so the logarithm is finite.
            double u1 = 1.0 - rng.NextDouble();
            double u2 = rng.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            destination[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }

    /// <summary>z (rows × <paramref name="zDim"/>) and ε (rows × <paramref name="conditionDim"/>), row i from <paramref name="seeds"/>[i].</summary>
    public static (float[] Z, float[] Epsilon) ForRows(IReadOnlyList<int> seeds, int zDim, int conditionDim)
    {
        var z = new float[seeds.Count * zDim];
        var eps = new float[seeds.Count * conditionDim];
        var row = new float[zDim + conditionDim];
        for (int i = 0; i < seeds.Count; i++)
        {
            Fill(seeds[i], row);
            row.AsSpan(0, zDim).CopyTo(z.AsSpan(i * zDim));
            row.AsSpan(zDim).CopyTo(eps.AsSpan(i * conditionDim));
        }
        return (z, eps);
    }
}
