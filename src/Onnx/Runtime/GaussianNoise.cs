using System.Text;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Deterministic N(0, 1) noise for a caption: the same (seed, caption) gives the same <c>z</c> and <c>ca_noise</c> in any
/// process, thread or batch, so a service returns the same image for the same request. SplitMix64 seeded with
/// FNV-1a of the caption's UTF-8 bytes and the seed, Box–Muller on top (string.GetHashCode is randomised per process).
/// </summary>
public static class GaussianNoise
{
    /// <summary>Fills <paramref name="destination"/> with the noise of (<paramref name="seed"/>, <paramref name="caption"/>).</summary>
    public static void ForCaption(int seed, string caption, Span<float> destination)
    {
        ulong state = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(caption ?? "")) state = (state ^ b) * 1099511628211UL;
        state ^= (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < destination.Length; i += 2)
        {
            // Box–Muller: u1 in (0, 1] so the log is finite.
            double u1 = (Next(ref state) >> 11) * (1.0 / (1UL << 53));
            u1 = 1.0 - u1;
            double u2 = (Next(ref state) >> 11) * (1.0 / (1UL << 53));
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            destination[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
