using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Tests.Glam;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, memory: the short version of the benchmarks' <c>soak</c> verb. 100 tiny GAN steps and then 600
/// single-row predictions through a PredictionEngine; resident memory (VmRSS) may grow at most 15 % after warm-up in each
/// phase. A tensor leaked per step or per prediction (a missing dispose scope) grows it far more: one 64-px image batch
/// is ~200 kB, so 75 leaked steps or 450 leaked predictions add tens of MB to a process of a few hundred.
/// </summary>
[Collection("Glam trainer")]
public class RuntimeSoakTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public RuntimeSoakTests(GlamFixture fixture) => _f = fixture;

    /// <summary>Resident set size in bytes, after a full collection so managed garbage does not count.</summary>
    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("no VmRSS line");
    }

    [Fact]
    public void Resident_memory_stays_flat_over_100_training_steps_and_600_predictions()
    {
        if (!File.Exists("/proc/self/status")) return; // Linux only: VmRSS
        long trainWarm = 0, trainEnd = 0;
        var o = _f.Options(100);
        o.Columns = new MirrorGanColumns { SeedColumnName = "Seed", GeneratedPixelsColumnName = "GeneratedPixels" };
        o.ReportEvery = 25;
        var reports = new ListProgress<MirrorGanProgress>(p =>
        {
            if (p.Iteration == 25) trainWarm = Rss();
            if (p.Iteration == 100) trainEnd = Rss();
        });
        o.Progress = reports;
        var chain = _f.Trainer(o).Fit(_f.Train);
        Assert.Equal(100, reports.Items.Last().Iteration);

        var engine = _f.Ml.Model.CreatePredictionEngine<MirrorGanTransformerTests.Prompt, MirrorGanTransformerTests.Generated>(chain);
        string[] captions = { "a small red circle on the left on a white background", "a large blue square at the top on a black background" };
        long predictWarm = 0;
        for (int i = 1; i <= 600; i++)
        {
            var g = engine.Predict(new MirrorGanTransformerTests.Prompt { Caption = captions[i % 2], Seed = i });
            Assert.Equal(3 * 64 * 64, g.GeneratedPixels.Length);
            g.GeneratedImage?.Dispose();
            if (i == 150) predictWarm = Rss();
        }
        long predictEnd = Rss();

        double trainGrowth = 100.0 * (trainEnd - trainWarm) / trainWarm, predictGrowth = 100.0 * (predictEnd - predictWarm) / predictWarm;
        string report = $"training RSS {trainWarm / 1048576.0:F1} → {trainEnd / 1048576.0:F1} MB ({trainGrowth:F1} %), " +
                        $"predictions RSS {predictWarm / 1048576.0:F1} → {predictEnd / 1048576.0:F1} MB ({predictGrowth:F1} %)";
        Assert.True(trainGrowth <= 15, report);
        Assert.True(predictGrowth <= 15, report);
    }
}
