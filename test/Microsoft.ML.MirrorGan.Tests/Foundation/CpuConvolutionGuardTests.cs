using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

/// <summary>
/// libtorch's CPU convolutions in this process, after <see cref="TorchRuntime.EnsureLoaded"/> chose its kernels, must
/// match float64 on the known-bad shapes and on every convolution layer of the presets, forward and backward, with a
/// poisoned allocator, at 1 and 2 threads. On the AMD Zen 4 / Zen 5 hosts these fail without the guard (oneDNN 3.7's
/// AVX-512 kernels); elsewhere the decision logic is exercised with injected faulty convolutions.
/// </summary>
public class CpuConvolutionGuardTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_known_bad_shapes_match_float64_in_this_process(int threads)
    {
        var failures = WithThreads(threads, () => CpuConvolutionCheck.Run());
        Assert.True(failures.Count == 0, $"{TorchRuntime.CpuConvolutions}; now wrong: {string.Join("; ", failures)}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_convolution_layer_of_the_presets_matches_float64_forward_and_backward(int threads)
    {
        var cases = PresetConvolutionCases();
        Assert.True(cases.Count > 20, $"only {cases.Count} distinct layer shapes found");
        var failures = WithThreads(threads, () => CpuConvolutionCheck.Run(cases: cases));
        Assert.True(failures.Count == 0, $"{TorchRuntime.CpuConvolutions}; wrong: {string.Join("; ", failures)}");
    }

    [Fact]
    public void The_check_reports_an_injected_wrong_forward_and_an_injected_wrong_input_gradient()
    {
        // A convolution that is wrong only where oneDNN's was: input channels outside the 16-channel block.
        CpuConvolutionCheck.Convolution padded = (x, w, stride, padding) =>
        {
            var y = nn.functional.conv2d(x, w, null, new[] { stride, stride }, new[] { padding, padding });
            return x.shape[1] % 16 == 0 ? y : y + float.NaN;
        };
        var failures = CpuConvolutionCheck.Run(padded);
        Assert.Contains(failures, f => f.StartsWith("24->48", StringComparison.Ordinal) && f.Contains("forward"));
        Assert.Contains(failures, f => f.StartsWith("12->16", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.StartsWith("32->3", StringComparison.Ordinal));

        // Right values, wrong input gradient (adds 1 to every element of dL/dx): the backward-only failure mode.
        CpuConvolutionCheck.Convolution badGradient = (x, w, stride, padding) =>
            nn.functional.conv2d(x, w, null, new[] { stride, stride }, new[] { padding, padding }) + (x - x.detach()).sum();
        var gradientFailures = CpuConvolutionCheck.Run(badGradient);
        Assert.Equal(CpuConvolutionCheck.KnownBadCases.Length, gradientFailures.Count);
        Assert.All(gradientFailures, f => Assert.Contains("input gradient", f));
    }

    [Fact]
    public void The_check_leaves_torch_global_random_generator_alone()
    {
        manual_seed(11);
        var expected = randn(5).data<float>().ToArray();
        manual_seed(11);
        CpuConvolutionCheck.Run();
        Assert.Equal(expected, randn(5).data<float>().ToArray());
    }

    [Theory]
    [InlineData(null, null, false, null, false, "no known problem")]
    [InlineData(null, null, true, null, true, "AMD CPU with AVX-512")]
    [InlineData("auto", null, false, CpuConvolutionPath.OneDnnOff, true, "an earlier process")]
    [InlineData(null, "AVX2", true, null, false, "ONEDNN_MAX_CPU_ISA=AVX2 set by the user")]
    [InlineData("sse41", null, false, null, true, "forced")]
    [InlineData("native", null, true, CpuConvolutionPath.OneDnnOff, false, "forced")]
    public void The_instruction_set_limit_is_chosen_from_the_cpu_class_the_cached_verdict_and_the_user(
        string? forced, string? userLimit, bool knownAffected, CpuConvolutionPath? cached, bool limit, string reason)
    {
        var plan = CpuConvolutionGuard.Choose(forced, userLimit, knownAffected, cached);
        Assert.Equal(limit, plan.LimitIsa);
        Assert.Contains(reason, plan.Reason);
    }

    [Fact]
    public void An_unknown_override_is_refused_with_the_allowed_values()
    {
        var e = Assert.Throws<InvalidOperationException>(() => CpuConvolutionGuard.Choose("fast", null, false, null));
        Assert.Contains("MIRRORGAN_CPU_CONVOLUTIONS='fast'", e.Message);
        Assert.Contains("native, sse41 or onednn-off", e.Message);
    }

    [Fact]
    public void A_failed_check_turns_onednn_off_and_checks_again()
    {
        var plan = new CpuConvolutionGuard.Plan(null, false, "no known problem");
        int checks = 0;
        bool disabled = false;
        var status = CpuConvolutionGuard.Decide(plan,
            () => ++checks == 1 ? new[] { "24->48: forward 1e9" } : Array.Empty<string>(),
            () => disabled = true);
        Assert.True(disabled);
        Assert.Equal(2, checks);
        Assert.Equal(CpuConvolutionPath.OneDnnOff, status.Path);
        Assert.Equal(new[] { "24->48: forward 1e9" }, status.Failures);
        Assert.Contains("OneDnnNative kernels were wrong", status.ToString());

        var passed = CpuConvolutionGuard.Decide(plan with { LimitIsa = true }, Array.Empty<string>, () => throw new InvalidOperationException("not called"));
        Assert.Equal(CpuConvolutionPath.OneDnnSse41, passed.Path);
        Assert.Empty(passed.Failures);
    }

    [Fact]
    public void Wrong_results_that_cannot_be_avoided_stop_the_process_with_the_fix()
    {
        var plan = new CpuConvolutionGuard.Plan(null, false, "no known problem");
        var noSwitch = Assert.Throws<InvalidOperationException>(() =>
            CpuConvolutionGuard.Decide(plan, () => new[] { "32->3: input gradient NaN" }, () => false));
        Assert.Contains("ONEDNN_MAX_CPU_ISA=SSE41", noSwitch.Message);
        Assert.Contains("32->3: input gradient NaN", noSwitch.Message);

        var stillWrong = Assert.Throws<InvalidOperationException>(() =>
            CpuConvolutionGuard.Decide(plan, () => new[] { "12->16: forward 0.3" }, () => true));
        Assert.Contains("even with oneDNN off", stillWrong.Message);
    }

    [Fact]
    public void This_process_reports_the_kernels_it_uses()
    {
        var status = TorchRuntime.CpuConvolutions;
        Assert.Equal(status, TorchRuntime.CpuConvolutions); // decided once per process
        if (CpuConvolutionGuard.IsKnownAffectedCpu() && Environment.GetEnvironmentVariable(CpuConvolutionGuard.IsaVariable) is null or CpuConvolutionGuard.BaselineIsa)
            Assert.Equal(CpuConvolutionPath.OneDnnSse41, status.Path);
        Assert.Contains(status.Path.ToString(), status.ToString());
    }

    private static T WithThreads<T>(int threads, Func<T> body)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try { return body(); }
        finally { torch.set_num_threads(before); }
    }

    /// <summary>The distinct convolution shapes of the Tiny and CUB presets' networks and of the built-in classifiers.</summary>
    private static List<CpuConvolutionCheck.Case> PresetConvolutionCases()
    {
        using var scope = NewDisposeScope();
        int tinyText = 2 * TextEmbedOptions.Tiny().HiddenSize;
        var tiny = MirrorGanTrainerOptions.Tiny().Network with { TextDim = tinyText };
        var cub = MirrorGanTrainerOptions.Cub().Network with { TextDim = 256 };
        var modules = new List<nn.Module>
        {
            new MirrorGanGeneratorNet(tiny with { NormalizeSentence = true }),
            new GlamDiscriminator(64, tiny.DiscriminatorDim, tinyText),
            new DamsmImageEncoder(TextEmbedOptions.Tiny().Backbone.Create(), tinyText),
            new StreamEncoder(StreamCaptionerOptions.Tiny().Backbone.Create(), StreamCaptionerOptions.Tiny().EmbedSize),
            new DamsmImageEncoder(TextEmbedOptions.Cub().Backbone.Create(), 256),
            new FashionMnistClassifierNet(),
            new MirrorGanGeneratorNet(cub with { NormalizeSentence = true }),
            new GlamDiscriminator(64, cub.DiscriminatorDim, 256),
        };
        var cases = new Dictionary<(long, long, long, long, long), CpuConvolutionCheck.Case>();
        foreach (var module in modules)
        {
            foreach (var (name, m) in module.named_modules())
            {
                if (m is not TorchSharp.Modules.Conv2d conv) continue;
                long k = conv.kernel_size[0], s = conv.stride[0], p = conv.padding?[0] ?? 0;
                var key = (conv.in_channels, conv.out_channels, k, s, p);
                if (cases.ContainsKey(key)) continue;
                // Small images keep float64 references cheap for the wide CUB layers; batch 8 (a batch of one takes
                // another libtorch path).
                int side = conv.in_channels * conv.out_channels > 64 * 64 ? 8 : 16;
                cases[key] = new CpuConvolutionCheck.Case($"{module.GetName()}.{name} {conv.in_channels}->{conv.out_channels} k{k} s{s}",
                    (int)conv.in_channels, (int)conv.out_channels, (int)k, (int)s, side, 8, (int)p);
            }
            module.Dispose();
        }
        return cases.Values.ToList();
    }
}
