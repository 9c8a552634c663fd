namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Every command-line tool (the QuickStart, the experiments and their verbs, the benchmarks, the stress tools, the STREAM report, the test hosts; the web
/// service has its own in its test project) answers --help with exit code 0, and a bad setting with one line naming the setting, the
/// value and the allowed range, a non-zero exit code and no stack trace, before anything runs.
/// </summary>
public class CommandLineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static TheoryData<string, string[], string> Helps => new()
    {
        { "QuickStart", new[] { "--help" }, "--iterations" },
        { "Experiments", new[] { "--help" }, "--ablation" },
        { "Experiments", new[] { "pretrain", "--help" }, "--stem-epochs" },
        { "Experiments", new[] { "generate", "--help" }, "--prompts" },
        { "Experiments", new[] { "caption", "--help" }, "--images" },
        { "Experiments", new[] { "evaluate", "--help" }, "--dataset" },
        { "Benchmarks", new[] { "--help" }, "train-split" },
        { "Benchmarks", new[] { "train-split", "--help" }, "warm-up" },
        { "StressTools", new[] { "--help" }, "inference-race" },
        { "StressTools", new[] { "fuzz-models", "--help" }, "timeout" },
        { "StreamReport", new[] { "--help" }, "seconds" },
        { "ModelLoadHost", new[] { "--help" }, "glam-train" },
        { "OnnxHost", new[] { "--help" }, "export folder" },
        { "NuGetCacheHost", new[] { "--help" }, "cache folder" },
    };

    [Theory]
    [MemberData(nameof(Helps))]
    public void Help_exits_0_and_lists_the_settings(string tool, string[] args, string expected)
    {
        var (exit, output) = ChildProcess.RunDotnet(Path.GetFullPath(TestPaths.Metadata(tool)), Timeout, args);
        Assert.True(exit == 0, output);
        Assert.Contains(expected, output);
    }

    public static TheoryData<string, string[], string> BadValues => new()
    {
        { "QuickStart", new[] { "--threads", "many" }, "'many'" },
        { "QuickStart", new[] { "--threads", "99" }, "--threads is 99; it must be 0 to 64." },
        { "QuickStart", new[] { "--iterations", "0" }, "--iterations is 0; it must be 1 to 1000000000." },
        { "QuickStart", new[] { "--dataset", "cub" }, "'cub'" },
        { "Experiments", new[] { "--lambda", "-1" }, "--lambda is -1; it must be 0 to 1000000." },
        { "Experiments", new[] { "--ema-decay", "2" }, "--ema-decay is 2; it must be 0 to 1." },
        { "Experiments", new[] { "pretrain", "--out", "o", "--stem-epochs", "0" }, "--stem-epochs is 0; it must be 1 to 100000." },
        { "Experiments", new[] { "generate", "--model", "m.zip", "--prompts", "p.txt", "--out", "o", "--threads", "0" }, "--threads is 0; it must be 1 to 64." },
        { "Experiments", new[] { "evaluate", "--model", "m.zip", "--dataset", "mnist" }, "'mnist'" },
        { "Benchmarks", new[] { "train-split", "tiny", "0" }, "batch is 0; it must be 1 to 4,096." },
        { "StressTools", new[] { "soak", "10", "-5" }, "predictions is -5; it must be 0 to 100,000,000." },
        { "StressTools", new[] { "inference-race", "0" }, "seconds is 0; it must be 1 to 86400." },
        { "StressTools", new[] { "fuzz-models", "10", "1", "pdf" }, "'pdf'" },
        { "StressTools", new[] { "fuzz-models", "10", "1", "both" }, "'both'" },
        { "Benchmarks", new[] { "train-split", "huge" }, "'huge'" },
        { "StreamReport", new[] { "shapes", "0" }, "seconds is 0; it must be 1 to 86,400." },
        { "ModelLoadHost", new[] { "glam-train", "a.zip", "ckpt" }, "glam-train" },
        { "OnnxHost", Array.Empty<string>(), "export folder" },
        { "NuGetCacheHost", new[] { "a", "b" }, "'b'" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_setting_exits_non_zero_with_the_setting_and_no_stack_trace(string tool, string[] args, string expected)
    {
        var (exit, output) = ChildProcess.RunDotnet(Path.GetFullPath(TestPaths.Metadata(tool)), Timeout, args);
        Assert.True(exit != 0, output);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }
}
