using System.Runtime;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Keeps the .NET garbage collector from running while a block of TorchSharp work executes.
/// </summary>
/// <remarks>
/// Why: TorchSharp 0.107 passes temporary <c>Scalar</c> objects to native calls by handle without keeping
/// them alive (e.g. <c>Tensor.add_(Scalar)</c> creates the <c>alpha = 1</c> scalar inline; BatchNorm's
/// <c>num_batches_tracked.add_(1)</c> and the managed Adam step do this every step; <c>a + b</c> does it in
/// inference too). If a GC triggered by another thread (a <see cref="Progress{T}"/> handler, a logger, a parallel
/// test, another scoring thread) runs during that native call, the scalar's finalizer frees it while libtorch still
/// reads it, and the call dies with "Expected false to be true" from <c>c10::Scalar::toLong</c> or "alpha must not be
/// a floating point number". This is reproducible in seconds with a thread that allocates heavily (see the
/// benchmarks' <c>scalar-race</c> and <c>inference-race</c> commands). Inside a no-GC region no collection, and so no
/// finalizer, can run until the region's allocation budget is used up, which one step or one batch never does.
/// <para>
/// The guard is process-wide and reference-counted, so nested and concurrent guards share one region. Starting a
/// region costs one full blocking collection (well under a millisecond on the small heaps of training, more on a large
/// heap). Training guards end their region when the last holder leaves. Inference guards
/// (<see cref="GuardInference"/>) leave it open when they end, so single-row scoring does not pay a full collection per
/// row: the next guard reuses it until half its budget is allocated or 64 guarded blocks have used it (or anything else
/// ends it, e.g. <see cref="GC.Collect()"/>); then a fresh region starts. While such a region lingers, the process does
/// not collect, and <see cref="GC.TryStartNoGCRegion(long)"/> is not
/// available to other code; <see cref="EndLingeringRegion"/> ends it.
/// </para>
/// <para>
/// Under sustained concurrent use (several threads scoring) the shared region would never end on its own and would
/// outlive its budget; once half its budget is allocated, new entrants wait for the current holders to leave, and a
/// fresh region starts (<see cref="Drains"/> counts these waits).
/// </para>
/// Thread-safety: every member is safe to call from any thread.
/// </remarks>
public static class TorchGcGuard
{
    /// <summary>Managed bytes all threads may allocate inside one region before the runtime collects anyway.</summary>
    public const long DefaultBudgetBytes = 128L << 20;

    private static readonly object Gate = new();
    private static int _depth;
    private static bool _regionActive;
    private static long _regionStartBytes, _regionBudget;
    private static long _drains, _regionsStarted;
    private static int _regionEntries;

    // A region is also renewed after this many guarded blocks: no collection runs inside a region, so native memory held
    // by garbage with finalizers (undisposed images and tensors) piles up until one does. Measured without this limit:
    // RSS 307 MB to 755 MB over 1,800 single-row predictions, as the managed allocations alone rarely used the budget up.
    private const int MaxEntriesPerRegion = 64;

    // Guards this thread holds: a thread that already holds one never waits for a drain (it would wait for itself).
    [ThreadStatic] private static int t_held;

    /// <summary>
    /// Whether this library's TorchSharp transformers (TextEmbed, MirrorGan, StreamCaptioner, the Fashion-MNIST
    /// classifier) run each batch's network forward inside a guard. Default <c>false</c>, a measured trade-off:
    /// inference uses the same TorchSharp calls with temporary scalars as training, so unguarded scoring can fail when
    /// another thread allocates (2 failures in 18,174 predictions from 8 threads next to an allocating thread; none in
    /// 8,746 guarded ones), but scoring inside no-GC regions made resident memory grow by about 250 kB per single-row
    /// prediction (307 MB to 740 MB over 1,800 predictions; flat unguarded), whether the region lingered or not.
    /// Turn it on for bursts of concurrent scoring in a process that restarts, or serve through ONNX Runtime, which has
    /// no such race.
    /// </summary>
    public static bool GuardInference { get; set; }

    /// <summary>How many times new entrants waited for the holders of a half-spent region to leave.</summary>
    public static long Drains => Interlocked.Read(ref _drains);

    /// <summary>How many no-GC regions the guard has started (each began with a full blocking collection).</summary>
    public static long RegionsStarted => Interlocked.Read(ref _regionsStarted);

    /// <summary>
    /// Enters a guarded block; dispose the result when the block ends (the region ends when the last holder leaves).
    /// Never throws: if the runtime refuses a region (for instance another component holds one), the block simply runs unguarded.
    /// </summary>
    public static IDisposable Enter(long budgetBytes = DefaultBudgetBytes) => EnterCore(budgetBytes, linger: false);

    /// <summary>A lingering guard when <see cref="GuardInference"/> is on, otherwise null (for <c>using</c>).</summary>
    internal static IDisposable? EnterForInference() => GuardInference ? EnterCore(DefaultBudgetBytes, linger: true) : null;

    /// <summary>Ends a region that inference left open, if no guard holds it now (e.g. before the process idles).</summary>
    public static void EndLingeringRegion()
    {
        lock (Gate)
        {
            if (_depth == 0) EndRegion();
        }
    }

    private static Exit EnterCore(long budgetBytes, bool linger)
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
            if (_depth == 0)
            {
                if (_regionActive && Spent()) EndRegion(); // a lingering region that is used up or was ended by the runtime
                if (!_regionActive) StartRegion(budgetBytes);
            }
            _depth++;
            _regionEntries++;
        }
        t_held++;
        return new Exit(linger);
    }

    /// <summary>Whether a region started by this guard is in force now.</summary>
    public static bool IsActive
    {
        get
        {
            lock (Gate) return _regionActive && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        }
    }

    private static void StartRegion(long budgetBytes)
    {
        try
        {
            _regionActive = GCSettings.LatencyMode != GCLatencyMode.NoGCRegion && GC.TryStartNoGCRegion(budgetBytes);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            _regionActive = false;
        }
        if (_regionActive) Interlocked.Increment(ref _regionsStarted);
        _regionEntries = 0;
        _regionStartBytes = GC.GetTotalAllocatedBytes(precise: true);
        _regionBudget = budgetBytes;
    }

    private static void EndRegion()
    {
        if (!_regionActive) return;
        _regionActive = false;
        // The runtime ends the region itself when the budget is exceeded or a collection is induced; EndNoGCRegion then throws.
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try { GC.EndNoGCRegion(); }
            catch (InvalidOperationException) { }
        }
    }

    // Precise: a thread in a no-GC region may hold a large allocation context, which the cheap count leaves out.
    private static bool Spent() =>
        GCSettings.LatencyMode != GCLatencyMode.NoGCRegion || _regionEntries >= MaxEntriesPerRegion ||
        GC.GetTotalAllocatedBytes(precise: true) - _regionStartBytes > _regionBudget / 2;

    private sealed class Exit : IDisposable
    {
        private readonly bool _linger;
        private int _disposed;

        public Exit(bool linger) => _linger = linger;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            if (t_held > 0) t_held--;
            lock (Gate)
            {
                if (--_depth > 0) return;
                if (!_linger) EndRegion();
                Monitor.PulseAll(Gate); // newcomers waiting for a drain
            }
        }
    }
}
