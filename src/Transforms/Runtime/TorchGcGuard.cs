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
/// Under sustained concurrent use (several threads scoring) the shared region would never end on its own; once half its
/// budget is allocated, new entrants wait for the current holders to leave and a fresh region starts (<see cref="Drains"/>).
/// Inference is guarded too (<see cref="GuardInference"/>). Thread-safety: all members are safe to call from any thread.
/// </remarks>
public static class TorchGcGuard
{
    /// <summary>Managed bytes all threads may allocate inside one region before the runtime collects anyway.</summary>
    public const long DefaultBudgetBytes = 128L << 20;

    private static readonly object Gate = new();
    private static int _depth;
    private static bool _regionActive;
    private static long _regionStartBytes, _regionBudget;
    private static long _drains;

    // Guards this thread holds: a thread that already holds one never waits for a drain (it would wait for itself).
    [ThreadStatic] private static int t_held;

    /// <summary>
    /// Whether this library's TorchSharp transformers (TextEmbed, MirrorGan, StreamCaptioner) run each batch's
    /// network forward inside a guard (default true). Inference uses the same TorchSharp calls with temporary
    /// scalars (<c>a + b</c> passes <c>alpha = 1</c>) as training, so it is exposed to the same race whenever another
    /// thread allocates. Set false only in a process where no other thread can start a collection while scoring runs,
    /// to save the blocking collection each guarded batch starts with.
    /// </summary>
    public static bool GuardInference { get; set; } = true;

    /// <summary>How many times new entrants waited for the holders of a half-spent region to leave (see remarks).</summary>
    public static long Drains => Interlocked.Read(ref _drains);

    /// <summary>A guard when <see cref="GuardInference"/> is on, otherwise null (for <c>using</c>).</summary>
    internal static IDisposable? EnterForInference() => GuardInference ? Enter() : null;

    /// <summary>
    /// Enters a guarded block; dispose the result when the block ends. Never throws: if the runtime refuses a
    /// region (for instance another component holds one), the block simply runs unguarded.
    /// </summary>
    public static IDisposable Enter(long budgetBytes = DefaultBudgetBytes)
    {
        lock (Gate)
        {
            // Threads that enter and leave concurrently (8 threads scoring one model) can keep the depth above zero for
            // ever, so one region would outlive its budget and the runtime would end it with a collection at an
            // arbitrary moment: the very race this guard prevents. Once half the budget is spent (or the runtime ended
            // the region), newcomers wait until the holders have left; the first of them then starts a fresh region.
            if (t_held == 0 && _depth > 0 && _regionActive && Spent())
            {
                Interlocked.Increment(ref _drains);
                while (_depth > 0 && _regionActive && Spent()) Monitor.Wait(Gate);
            }
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
                _regionStartBytes = GC.GetTotalAllocatedBytes(precise: false);
                _regionBudget = budgetBytes;
            }
        }
        t_held++;
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

    private static bool Spent() =>
        GCSettings.LatencyMode != GCLatencyMode.NoGCRegion || GC.GetTotalAllocatedBytes(precise: false) - _regionStartBytes > _regionBudget / 2;

    private sealed class Exit : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            if (t_held > 0) t_held--;
            lock (Gate)
            {
                if (--_depth > 0) return;
                if (_regionActive)
                {
                    _regionActive = false;
                    // The runtime ends the region itself when the budget is exceeded; EndNoGCRegion then throws.
                    if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                    {
                        try { GC.EndNoGCRegion(); }
                        catch (InvalidOperationException) { }
                    }
                }
                Monitor.PulseAll(Gate); // newcomers waiting for a drain
            }
        }
    }
}
