namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// A tiny counter-based generator: what a scene looks like must not depend on the .NET version's
/// <see cref="Random"/> algorithm, nor on which other scenes were generated before it.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(params long[] keys)
    {
        _state = 0x9E3779B97F4A7C15UL;
        foreach (var k in keys)
            _state = Mix(_state ^ (ulong)k);
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)(NextUInt64() % (ulong)n);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
