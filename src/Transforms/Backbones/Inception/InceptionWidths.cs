namespace Microsoft.ML.MirrorGan.Backbones;

/// <summary>
/// torchvision's Inception-v3 channel widths divided by one divisor. The real network is divisor 1; tiny test
/// networks use 16, the largest divisor of every width in the architecture (32, 48, 64, 80, 96, 128, 160, 192,
/// 320, 384, 448). A checkpoint's divisor is 32 / (output channels of <c>Conv2d_1a_3x3</c>).
/// </summary>
internal sealed class InceptionWidths
{
    private static readonly int[] Widths = { 32, 48, 64, 80, 96, 128, 160, 192, 320, 384, 448 };

    public InceptionWidths(int divisor)
    {
        if (divisor < 1 || Widths.Any(w => w % divisor != 0))
            throw new ArgumentOutOfRangeException(nameof(divisor), divisor,
                "The Inception width divisor must divide every torchvision width (1, 2, 4, 8 or 16).");
        Divisor = divisor;
    }

    public int Divisor { get; }

    /// <summary>The scaled width of torchvision's <paramref name="full"/> channels.</summary>
    public long this[int full] => full / Divisor;
}
