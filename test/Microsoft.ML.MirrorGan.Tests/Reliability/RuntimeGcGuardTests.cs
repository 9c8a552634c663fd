using System.Runtime;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// The guard's inference behaviour (issue 11): inference guards leave their no-GC region open for the next batch
/// (single-row scoring must not pay a full collection per row), and concurrent holders of a half-spent region make
/// newcomers wait until they leave, so the region is never used up while a TorchSharp call runs.
/// </summary>
public class RuntimeGcGuardTests : IDisposable
{
    private readonly bool _wasOn = TorchGcGuard.GuardInference;

    public RuntimeGcGuardTests() => TorchGcGuard.GuardInference = true; // off by default (see its remarks)

    public void Dispose()
    {
        TorchGcGuard.GuardInference = _wasOn;
        TorchGcGuard.EndLingeringRegion();
    }

    [Fact]
    public void Inference_guards_reuse_one_lingering_region_and_a_training_guard_ends_it()
    {
        TorchGcGuard.EndLingeringRegion();
        long started = TorchGcGuard.RegionsStarted;
        using (TorchGcGuard.EnterForInference()) Assert.True(TorchGcGuard.IsActive);
        Assert.True(TorchGcGuard.IsActive); // lingering
        for (int i = 0; i < 50; i++)
            using (TorchGcGuard.EnterForInference()) _ = new byte[1024];
        Assert.Equal(started + 1, TorchGcGuard.RegionsStarted); // one full collection for 51 batches (renewed after 64)
        using (TorchGcGuard.Enter()) Assert.True(TorchGcGuard.IsActive);
        Assert.Equal(started + 1, TorchGcGuard.RegionsStarted);
        Assert.False(TorchGcGuard.IsActive); // training guards end the region when they leave
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);

        using (TorchGcGuard.EnterForInference()) { } // a fresh region (the training guard ended the last one)
        Assert.Equal(started + 2, TorchGcGuard.RegionsStarted);
        GC.Collect(); // an induced collection ends a lingering region; the next guard starts a fresh one
        Assert.False(TorchGcGuard.IsActive);
        using (TorchGcGuard.EnterForInference()) Assert.True(TorchGcGuard.IsActive);
        Assert.Equal(started + 3, TorchGcGuard.RegionsStarted);
        TorchGcGuard.EndLingeringRegion();
        Assert.False(TorchGcGuard.IsActive);
    }

    [Fact]
    public void Newcomers_wait_for_the_holders_of_a_half_spent_region_and_then_start_a_fresh_one()
    {
        TorchGcGuard.EndLingeringRegion();
        long drains = TorchGcGuard.Drains, started = TorchGcGuard.RegionsStarted;
        var holder = TorchGcGuard.Enter(budgetBytes: 16L << 20);
        var keep = new List<byte[]>();
        for (int i = 0; i < 40; i++) keep.Add(new byte[256 * 1024]); // 10 MB: more than half of 16 MB, less than all
        Assert.True(TorchGcGuard.IsActive);
        using var entered = new ManualResetEventSlim();
        var newcomer = new Thread(() =>
        {
            using (TorchGcGuard.Enter()) entered.Set();
        });
        newcomer.Start();
        Assert.False(entered.Wait(300)); // waits for the holder
        holder.Dispose();
        Assert.True(entered.Wait(30_000));
        newcomer.Join();
        Assert.Equal(drains + 1, TorchGcGuard.Drains);
        Assert.Equal(started + 2, TorchGcGuard.RegionsStarted);
        Assert.False(TorchGcGuard.IsActive);
        GC.KeepAlive(keep);
    }
}
