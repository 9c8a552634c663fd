using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Runs libtorch's float32 CPU convolution (forward, input gradient, weight gradient) on the layer shapes where
/// oneDNN's JIT kernels were seen to be wrong, and compares each result with a float64 computation (which libtorch
/// never sends to oneDNN). See docs/reliability/cpu-convolutions.md for the table of shapes and CPUs.
/// </summary>
/// <remarks>
/// The failures read memory that the kernels should have zero-padded, so a case that happens to land on clean memory
/// can pass. Each case therefore first fills a few allocator blocks with NaN and frees them ("poisoning"), which made
/// every affected case fail in every run on the affected hosts. The check uses its own random generator, so torch's
/// global generator (and with it a seeded training run) is untouched.
/// </remarks>
internal static class CpuConvolutionCheck
{
    /// <summary>One convolution layer shape.</summary>
    internal sealed record Case(string Name, int In, int Out, int Kernel, int Stride, int Side, int Batch, int Padding = 1);

    /// <summary>A float32 convolution under test; the default is libtorch's <c>conv2d</c>.</summary>
    internal delegate Tensor Convolution(Tensor input, Tensor weight, long stride, long padding);

    /// <summary>
    /// The shapes: input channels that are not a multiple of the kernels' 16- (AVX-512) or 8-channel (AVX/AVX2) block,
    /// an RGB head (3 output channels) whose input gradient comes from a padded block, and the 4×4 stride-2 down-sampling
    /// layer whose input gradient was wrong even at 48 channels. Batch 8: libtorch sends a batch of one with 3×3
    /// kernels to its own convolution instead of oneDNN.
    /// </summary>
    internal static readonly Case[] KnownBadCases =
    {
        new("24->48 k3 s1 (AVX-512 padded input)", 24, 48, 3, 1, 16, 8),
        new("12->16 k3 s1 (AVX2 padded input)", 12, 16, 3, 1, 16, 8),
        new("40->24 k4 s2 (padded input, down-sampling)", 40, 24, 4, 2, 16, 8),
        new("32->3 k3 s1 (RGB head input gradient)", 32, 3, 3, 1, 32, 8),
        new("48->16 k4 s2 (down-sampling input gradient)", 48, 16, 4, 2, 16, 8),
    };

    /// <summary>Largest error, relative to the largest float64 value, that still counts as right.</summary>
    internal const double Tolerance = 1e-3;

    /// <summary>
    /// Runs <paramref name="cases"/> (default <see cref="KnownBadCases"/>) and returns a line for each result that is
    /// wrong ("name: forward 3.1e-01"), empty when all are right.
    /// </summary>
    internal static IReadOnlyList<string> Run(Convolution? convolution = null, IEnumerable<Case>? cases = null, bool poison = true)
    {
        convolution ??= (x, w, stride, padding) => nn.functional.conv2d(x, w, null, new[] { stride, stride }, new[] { padding, padding });
        var failures = new List<string>();
        using var generator = new Generator(20260412);
        using var grad = torch.enable_grad();
        foreach (var c in cases ?? KnownBadCases)
        {
            using var scope = torch.NewDisposeScope();
            if (poison) Poison();
            long pad = c.Padding;
            var x = torch.randn(new long[] { c.Batch, c.In, c.Side, c.Side }, generator: generator).requires_grad_(true);
            var w = (torch.randn(new long[] { c.Out, c.In, c.Kernel, c.Kernel }, generator: generator) * 0.1).requires_grad_(true);
            var y = convolution(x, w, c.Stride, pad);
            var upstream = torch.randn(y.shape, generator: generator);
            (y * upstream).sum().backward();

            var x64 = x.detach().to(float64).requires_grad_(true);
            var w64 = w.detach().to(float64).requires_grad_(true);
            var y64 = nn.functional.conv2d(x64, w64, null, new[] { (long)c.Stride, c.Stride }, new[] { pad, pad });
            (y64 * upstream.to(float64)).sum().backward();

            Compare(failures, c.Name, "forward", y, y64);
            Compare(failures, c.Name, "input gradient", x.grad, x64.grad);
            Compare(failures, c.Name, "weight gradient", w.grad, w64.grad);
        }
        return failures;
    }

    /// <summary>Error of <paramref name="actual"/> relative to the largest |value| of <paramref name="expected"/>; NaN counts as 1e9.</summary>
    private static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = torch.NewDisposeScope();
        double scale = expected.abs().max().item<double>() + 1e-6;
        return (actual.to(float64) - expected).abs().nan_to_num(1e9, 1e9, 1e9).max().item<double>() / scale;
    }

    private static void Compare(List<string> failures, string name, string what, Tensor? actual, Tensor? expected)
    {
        if (actual is null || expected is null)
        {
            failures.Add($"{name}: {what} missing");
            return;
        }
        if (!actual.shape.SequenceEqual(expected.shape))
        {
            failures.Add($"{name}: {what} has shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
            return;
        }
        double error = RelativeError(actual, expected);
        if (!(error <= Tolerance)) failures.Add(FormattableString.Invariant($"{name}: {what} {error:G3}"));
    }

    /// <summary>Fills and frees a few 4 MB blocks with NaN, so memory a kernel reads without writing it first is NaN.</summary>
    private static void Poison(int blocks = 4)
    {
        for (int i = 0; i < blocks; i++)
        {
            using var junk = torch.full(new long[] { 1 << 20 }, float.NaN);
        }
    }
}
