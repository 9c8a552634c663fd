namespace Microsoft.ML.MirrorGan;

/// <summary>
/// A tiny counter-based generator, the one the library uses wherever a value must be a pure function of its keys:
/// what a Shapes scene or caption looks like (not the .NET version's <see cref="Random"/> algorithm, nor which other
/// scenes came before it) and the generator's noise for a seed (<see cref="Glam.GenerationNoise"/>).
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    /// <summary>A generator that starts from a raw state (no key mixing).</summary>
    public static SplitMix64 FromState(ulong state) => new() { _state = state };

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
