using Microsoft.Extensions.Options;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// Bounds how many uploads are decoded at once (<see cref="WebServiceOptions.MaxConcurrentDecodes"/>). Why: each decode
/// allocates up to MaxImageSide² × 4 bytes of pixels (16 MB at 2,048 px) outside the model's own limit, so without a
/// gate 16 concurrent large uploads held ~1 GB.
/// </summary>
public sealed class DecodeGate : IDisposable
{
    private readonly SemaphoreSlim _slots;

    /// <summary>Creates the gate from the service settings.</summary>
    public DecodeGate(IOptions<WebServiceOptions> options) => _slots = new SemaphoreSlim(Math.Max(1, options.Value.MaxConcurrentDecodes));

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellation)
    {
        await _slots.WaitAsync(cancellation).ConfigureAwait(false);
        return new Slot(_slots);
    }

    /// <inheritdoc/>
    public void Dispose() => _slots.Dispose();

    private sealed class Slot : IDisposable
    {
        private SemaphoreSlim? _slots;

        public Slot(SemaphoreSlim slots) => _slots = slots;

        public void Dispose() => Interlocked.Exchange(ref _slots, null)?.Release();
    }
}
