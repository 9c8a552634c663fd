using System.Runtime;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

public class TorchGcGuardTests
{
    [Fact]
    public void Guard_holds_a_no_gc_region_shared_by_nested_guards_and_releases_it()
    {
        using (TorchGcGuard.Enter())
        {
            Assert.True(TorchGcGuard.IsActive);
            int before = GC.CollectionCount(0);
            using (TorchGcGuard.Enter())
            {
                for (int i = 0; i < 10_000; i++) _ = new byte[256]; // 2.5 MB, well inside the budget
                Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            }
            Assert.True(TorchGcGuard.IsActive); // the outer guard still holds it
            Assert.Equal(before, GC.CollectionCount(0));
        }
        Assert.False(TorchGcGuard.IsActive);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void Exceeding_the_budget_ends_the_region_without_throwing()
    {
        var guard = TorchGcGuard.Enter(budgetBytes: 4L << 20);
        var keep = new List<byte[]>();
        for (int i = 0; i < 64; i++) keep.Add(new byte[256 * 1024]); // 16 MB > 4 MB budget
        guard.Dispose();
        Assert.False(TorchGcGuard.IsActive);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        GC.KeepAlive(keep);
    }
}
