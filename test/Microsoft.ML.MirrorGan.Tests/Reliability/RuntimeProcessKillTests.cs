using Microsoft.ML.Data;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Tests.Glam;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, process kill: tiny GAN training in a child process (ModelLoadHost glam-train) is killed with SIGKILL after
/// it has written a checkpoint; a new process resumes from it, and its next steps' losses must equal an uninterrupted
/// run's bit for bit. Every run is a separate process with one torch thread, so the comparison is process to process.
/// </summary>
[Collection("Glam trainer")]
public class RuntimeProcessKillTests : IClassFixture<GlamFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly GlamFixture _f;

    public RuntimeProcessKillTests(GlamFixture fixture) => _f = fixture;

    private static ProcessStartInfo Host(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(TestPaths.ModelLoadHost);
        psi.ArgumentList.Add("glam-train");
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>The "iter N bits…" lines by iteration.</summary>
    private static Dictionary<int, string> Iterations(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("iter ", StringComparison.Ordinal))
            .ToDictionary(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), l => l);

    private static Dictionary<int, string> RunToEnd(string models, string folder, int iterations, bool resume)
    {
        var (code, output) = ChildProcess.RunDotnet(TestPaths.ModelLoadHost, Timeout, "glam-train", models, folder,
            iterations.ToString(System.Globalization.CultureInfo.InvariantCulture), resume ? "1" : "0", "0");
        Assert.True(code == 0, $"glam-train exited with {code}: {output}");
        Assert.Contains("done", output);
        return Iterations(output.Split('\n').Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void Training_killed_with_SIGKILL_after_a_checkpoint_resumes_in_a_new_process_with_identical_losses()
    {
        using var dir = TestPaths.NewTempDir();
        string models = dir.File("stem-stream.zip");
        _f.Ml.Model.Save(new TransformerChain<ITransformer>(_f.TextEmbed, _f.Captioner), _f.Train.Schema, models);
        string killedFolder = dir.File("killed"), straightFolder = dir.File("straight");
        string checkpoint = Path.Combine(killedFolder, GlamCheckpoint.FileName);

        // 1. A long run (1,000 iterations, 100 ms pause after each report) killed once it has checkpointed iteration 2 or later.
        var lines = new ConcurrentQueue<string>();
        var stderr = new ConcurrentQueue<string>();
        using (var p = new Process { StartInfo = Host(models, killedFolder, "1000", "0", "100") })
        {
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!(Iterations(lines).Keys.DefaultIfEmpty(0).Max() >= 3 && File.Exists(checkpoint)))
            {
                if (p.HasExited) Assert.Fail($"glam-train ended early ({p.ExitCode}): {string.Join('\n', lines.Concat(stderr))}");
                if (clock.Elapsed > Timeout)
                {
                    p.Kill();
                    Assert.Fail($"no checkpoint after {Timeout}: {string.Join('\n', lines.Concat(stderr))}");
                }
                Thread.Sleep(20);
            }
            p.Kill(); // SIGKILL on Linux: no finally blocks, no flushing, no cancellation checkpoint
            Assert.True(p.WaitForExit(30_000));
            if (OperatingSystem.IsLinux()) Assert.Equal(128 + 9, p.ExitCode);
        }
        Assert.DoesNotContain("done", lines);
        int k = GlamCheckpoint.ReadIteration(checkpoint);
        Assert.InRange(k, 2, 999);
        var killed = Iterations(lines);

        // 2. A new process resumes from the checkpoint the killed one left; 3. an uninterrupted run in another process.
        var resumed = RunToEnd(models, killedFolder, k + 2, resume: true);
        var straight = RunToEnd(models, straightFolder, k + 2, resume: false);

        Assert.Equal(new[] { k + 1, k + 2 }, resumed.Keys.OrderBy(i => i));
        Assert.Equal(straight[k + 1], resumed[k + 1]);
        Assert.Equal(straight[k + 2], resumed[k + 2]);
        // The killed run agreed with the uninterrupted one up to its checkpoint (the same arithmetic in both processes).
        for (int i = 1; i <= k; i++) Assert.Equal(straight[i], killed[i]);
        Assert.Empty(Directory.GetFiles(killedFolder, "*.tmp")); // a temporary file a kill may leave is removed on resume
    }
}
