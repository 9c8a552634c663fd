using System.Diagnostics;
using Microsoft.ML.MirrorGan.Onnx;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>Checks that need another process: an ONNX-only service, and Debian's onnx.checker.</summary>
public class OnnxProcessTests : IClassFixture<OnnxTestModels>
{
    private readonly OnnxTestModels _m;

    public OnnxProcessTests(OnnxTestModels models) => _m = models;

    [Fact]
    public void A_process_that_scores_through_ONNX_never_loads_TorchSharps_natives()
    {
        var (code, output) = ChildProcess.RunDotnet(TestPaths.OnnxHost, TimeSpan.FromMinutes(2), _m.Folder.Path);
        Assert.True(code == 0, output);
        Assert.Contains("onnxruntime loaded: True", output);
        Assert.Contains("torch natives loaded: 0", output);
        // The child's images are the ones this process computes.
        var here = MirrorGanOnnxTextToImage.Open(_m.Folder.Path);
        using (here)
        {
            var sums = here.Generate(new[] { "a red square on the left", "a blue bar" }, seed: 7).Select(p => p.Sum(x => (double)x));
            foreach (var s in sums) Assert.Contains($"image sum {s:R}", output);
        }
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("caption '", StringComparison.Ordinal)));
    }

    /// <summary>Runs onnx.checker (full check: also ONNX's shape inference) from Debian's python3-onnx; never skips.</summary>
    internal static void Check(string path)
    {
        // Debian's interpreter, which sees python3-onnx; a python3 earlier on PATH (pyenv, venv) may not.
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok', onnx.__version__)");
        psi.ArgumentList.Add(path);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("python3 is not installed; build/test.sh installs python3-onnx (build/apt-packages.txt).", e);
        }
        using (p)
        {
            string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0,
                stderr.Contains("No module named 'onnx'", StringComparison.Ordinal)
                    ? "python3-onnx is missing: install it (apt-get install python3-onnx; build/test.sh does this as root)."
                    : $"onnx.checker rejected {Path.GetFileName(path)}:\n{stderr}");
            Assert.StartsWith("ok", stdout);
        }
    }

    [Fact]
    public void Every_exported_graph_passes_onnx_checker()
    {
        var files = Directory.GetFiles(_m.Folder.Path, "*.onnx");
        Assert.Equal(4, files.Length);
        using var dir = TestPaths.NewTempDir();
        // The mask-bug variant and a three-stage generator without attention maps too.
        using var ca = new Microsoft.ML.MirrorGan.TextEmbed.ConditioningAugmentation(10, 6);
        using var g = new Microsoft.ML.MirrorGan.Glam.GlamGenerator(ExportParityTests.TinyGenerator(stages: 3, maskBug: true));
        File.WriteAllBytes(dir.File("generator_bug.onnx"), GlamOnnxExporter.Export(ca, g));
        foreach (var f in files.Append(dir.File("generator_bug.onnx"))) Check(f);
    }
}
