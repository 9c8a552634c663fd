using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.Tests.Imaging;

public class ImageTensorTests
{
    [Fact]
    public void Rgba_and_bgra_images_map_to_the_same_rgb_floats_and_back()
    {
        // 2x2: red, green, blue, white.
        byte[] rgba = { 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255 };
        byte[] bgra = { 0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255, 255, 255, 255, 255 };
        var a = ImageTensor.ToChw(MLImage.CreateFromPixels(2, 2, MLPixelFormat.Rgba32, rgba), 2);
        var b = ImageTensor.ToChw(MLImage.CreateFromPixels(2, 2, MLPixelFormat.Bgra32, bgra), 2);
        Assert.Equal(a, b);
        Assert.Equal(new[] { 1f, -1f, -1f, 1f }, a[0..4]);   // R plane
        Assert.Equal(new[] { -1f, 1f, -1f, 1f }, a[4..8]);   // G plane
        Assert.Equal(new[] { -1f, -1f, 1f, 1f }, a[8..12]);  // B plane

        using var back = ImageTensor.FromChw(a, 2);
        Assert.Equal(rgba, back.Pixels.ToArray());
    }

    [Fact]
    public void Resizing_a_uniform_image_keeps_its_colour()
    {
        var px = Enumerable.Range(0, 5 * 3).SelectMany(_ => new byte[] { 30, 70, 220, 255 }).ToArray();
        var chw = ImageTensor.ToChw(MLImage.CreateFromPixels(5, 3, MLPixelFormat.Rgba32, px), 8);
        Assert.Equal(3 * 64, chw.Length);
        Assert.All(chw[..64], v => Assert.InRange(v, 30 / 127.5f - 1.01f, 30 / 127.5f - 0.99f));
        Assert.All(chw[128..], v => Assert.InRange(v, 220 / 127.5f - 1.01f, 220 / 127.5f - 0.99f));
    }

    [Fact]
    public void Png_encoding_decodes_back_to_the_same_pixels()
    {
        var chw = Enumerable.Range(0, 3 * 16).Select(i => (i % 7) / 3f - 1f).ToArray();
        var png = ImageTensor.ToPng(chw, 4);
        using var img = MLImage.CreateFromStream(new MemoryStream(png));
        var back = ImageTensor.ToChw(img, 4);
        for (int i = 0; i < chw.Length; i++) Assert.InRange(back[i] - chw[i], -0.005f, 0.005f);
    }
}
