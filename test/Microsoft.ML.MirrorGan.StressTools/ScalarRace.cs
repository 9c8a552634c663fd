using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StressTools;

/// <summary>
/// Reproduces TorchSharp 0.107's Scalar lifetime race (see <see cref="TorchGcGuard"/>): BatchNorm training steps
/// on one thread while another thread allocates, with and without the guard. Without it the run fails within
/// seconds ("Expected false to be true" from c10::Scalar::toLong); with it, it completes.
/// </summary>
internal static class ScalarRace
{
    public static void Run(int steps)
    {
        foreach (bool guarded in new[] { false, true })
        {
            var (done, error, elapsed) = Attempt(steps, guarded);
            Console.WriteLine($"guard={guarded}: {done} of {steps} steps in {elapsed.TotalSeconds:F1} s" + (error is null ? ", no failure" : $", FAILED: {error}"));
        }
    }

    private static (int Done, string? Error, TimeSpan Elapsed) Attempt(int steps, bool guarded)
    {
        using var bn = nn.BatchNorm2d(4);
        bn.train();
        using var x = randn(2, 4, 3, 3);
        var noise = new AllocationNoise();
        var clock = Stopwatch.StartNew();
        int i = 0;
        try
        {
            for (; i < steps; i++)
            {
                using var guard = guarded ? TorchGcGuard.Enter() : null;
                using var scope = NewDisposeScope();
                _ = bn.call(x) * 0.5f + 1;
            }
            return (i, null, clock.Elapsed);
        }
        catch (Exception e)
        {
            return (i, e.Message.Split('\n')[0], clock.Elapsed);
        }
        finally
        {
            noise.Dispose();
        }
    }
}
