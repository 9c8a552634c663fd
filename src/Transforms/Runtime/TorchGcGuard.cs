using System.Runtime;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Keeps the .NET garbage collector from running while a block of TorchSharp work executes.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107 passes temporary <c>Scalar</c> objects to native calls by handle without keeping
/// them alive (e.g. <c>Tensor.add_(Scalar)</c> creates the <c>alpha = 1</c> scalar inline; BatchNorm's
/// <c>num_batches_tracked.add_(1)</c> and the managed Adam step do this every step). If a GC triggered by
/// another thread (a <see cref="Progress{T}"/> handler, a logger, a parallel test) runs during that native
/// call, the scalar's finalizer frees it while libtorch still reads it, and training dies with
/// "Expected false to be true" from <c>c10::Scalar::toLong</c> or "alpha must not be a floating point number".
/// This is reproducible in seconds with a thread that allocates heavily (see the benchmarks' <c>scalar-race</c>
/// command). Inside a no-GC region no collection, and so no finalizer, can run until the region's
/// allocation budget is used up, which one training step never does.
/// The guard is process-wide and reference-counted, so nested and concurrent guards share one region.
/// Starting a region costs one blocking collection (well under a millisecond on the small heaps of training).
/// </remarks>
public static class TorchGcGuard
{
    /// <summary>Managed bytes all threads may allocate inside one region before the runtime collects anyway.</summary>
    public const long DefaultBudgetBytes = 128L << 20;

    private static readonly object Gate = new();
    private static int _depth;
    private static bool _regionActive;

    /// <summary>
    /// Enters a guarded block; dispose the result when the block ends. Never throws: if the runtime refuses a
    /// region (for instance another component holds one), the block simply runs unguarded.
    /// </summary>
    public static IDisposable Enter(long budgetBytes = DefaultBudgetBytes)
    {
        lock (Gate)
        {
            if (_depth++ == 0)
            {
                try
                {
                    _regionActive = GCSettings.LatencyMode != GCLatencyMode.NoGCRegion && GC.TryStartNoGCRegion(budgetBytes);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
                {
                    _regionActive = false;
                }
            }
        }
        return new Exit();
    }

    /// <summary>Whether a region started by this guard is in force now.</summary>
    public static bool IsActive
    {
        get
        {
            lock (Gate) return _regionActive && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        }
    }

    private sealed class Exit : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (Gate)
            {
                if (--_depth > 0 || !_regionActive) return;
                _regionActive = false;
                // The runtime ends the region itself when the budget is exceeded; EndNoGCRegion then throws.
                if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    try { GC.EndNoGCRegion(); }
                    catch (InvalidOperationException) { }
                }
            }
        }
    }
}
