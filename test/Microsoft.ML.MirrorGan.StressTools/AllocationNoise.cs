namespace Microsoft.ML.MirrorGan.StressTools;

/// <summary>
/// A background thread that allocates continuously (a busy logger, progress handler or parallel data loader), so that
/// garbage collections start while other threads are inside TorchSharp native calls: the trigger of the Scalar race.
/// </summary>
internal sealed class AllocationNoise : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public AllocationNoise()
    {
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    private void Run()
    {
        var keep = new List<byte[]>();
        while (!_stop)
        {
            for (int k = 0; k < 64; k++) keep.Add(new byte[1024]);
            if (keep.Count > 4096) keep.Clear();
        }
    }

    /// <summary>Stops the thread and waits for it.</summary>
    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
