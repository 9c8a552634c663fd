using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.Tests.StreamCaptioner;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, images: real files (SkiaSharp-encoded or written byte by byte, then damaged) through
/// <see cref="ImageFile"/> (the library's loader, also behind the dataset loaders) and the captioner.
/// </summary>
public class ImageInputTests
{
    private sealed class ImageRow
    {
        [ImageType(StreamTestData.Size, StreamTestData.Size)]
        public MLImage Image { get; set; } = null!;
    }

    private static StreamCaptionerTransformer Captioner(MLContext ml)
    {
        TorchRuntime.EnsureLoaded();
        TorchSharp.torch.manual_seed(5);
        var vocabulary = Vocabulary.Build(StreamTestData.Rows(1).Select(r => r.Caption));
        var net = new StreamCaptionNet(new SmallCnnBackbone(16, 4), vocabulary.Count, embedSize: 12, hiddenSize: 16, regionGrid: 2);
        return new StreamCaptionerTransformer(ml, net, vocabulary, "Image", "GeneratedCaption", "CaptionScore", StreamTestData.Size, maxWords: 6, beamWidth: 1);
    }

    private static byte[] SkiaEncode(int width, int height, SKColorType type, SKEncodedImageFormat format, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, type, type == SKColorType.Gray8 ? SKAlphaType.Opaque : SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    private static byte[] RgbPng(int width = 40, int height = 24) =>
        SkiaEncode(width, height, SKColorType.Rgba8888, SKEncodedImageFormat.Png, (x, y) => new SKColor((byte)(x * 6), (byte)(y * 10), 90));

    private static (byte R, byte G, byte B, byte A) Pixel(MLImage image, int x, int y)
    {
        Assert.Equal(MLPixelFormat.Rgba32, image.PixelFormat);
        var p = image.Pixels.Slice(4 * (y * image.Width + x), 4);
        return (p[0], p[1], p[2], p[3]);
    }

    /// <summary>Captions decoded images through the ML.NET transform; every row gets a caption and a finite score.</summary>
    private static void CaptionsEvery(params MLImage[] images)
    {
        var ml = new MLContext(1);
        var output = Captioner(ml).Transform(ml.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Image = i })));
        var captions = output.GetColumn<string>("GeneratedCaption").ToArray();
        var scores = output.GetColumn<float>("CaptionScore").ToArray();
        Assert.Equal(images.Length, captions.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s), $"score {s}"));
    }

    [Fact]
    public void Wrong_size_images_are_resized_and_captioned()
    {
        var wide = ImageFile.Decode(RgbPng(40, 24), "wide.png");
        var tiny = ImageFile.Decode(RgbPng(1, 1), "one-pixel.png");
        var tall = ImageFile.Decode(RgbPng(3, 300), "tall.png");
        Assert.Equal((40, 24), (wide.Width, wide.Height));
        Assert.Equal((byte)(6 * 7), Pixel(wide, 7, 3).R);
        CaptionsEvery(wide, tiny, tall);
    }

    [Fact]
    public void One_two_and_four_channel_pngs_become_rgb_with_alpha_over_white()
    {
        var grey = ImageFile.Decode(SkiaEncode(8, 8, SKColorType.Gray8, SKEncodedImageFormat.Png, (x, y) => new SKColor(70, 70, 70)), "grey.png");
        Assert.Equal(((byte)70, (byte)70, (byte)70, (byte)255), Pixel(grey, 3, 3));

        // Grey + alpha (colour type 4): grey 0 at alpha 128 over white = 127.
        var greyAlpha = ImageFile.Decode(BadFiles.Png(8, 8, colorType: 4, bitDepth: 8, (x, y, c) => c == 0 ? 0 : 128), "grey-alpha.png");
        Assert.Equal(((byte)127, (byte)127, (byte)127, (byte)255), Pixel(greyAlpha, 2, 5));

        // RGBA (colour type 6), fully transparent red: white.
        var rgba = ImageFile.Decode(BadFiles.Png(8, 8, colorType: 6, bitDepth: 8, (x, y, c) => c == 0 ? 255 : c == 3 ? 0 : 0), "transparent.png");
        Assert.Equal(((byte)255, (byte)255, (byte)255, (byte)255), Pixel(rgba, 4, 4));

        CaptionsEvery(grey, greyAlpha, rgba);
    }

    [Fact]
    public void Sixteen_bit_pngs_are_reduced_to_eight_bits()
    {
        var rgb16 = ImageFile.Decode(BadFiles.Png(6, 4, colorType: 2, bitDepth: 16, (x, y, c) => c == 0 ? 0xFFFF : c == 1 ? 0x8000 : 0x0101), "rgb16.png");
        var p = Pixel(rgb16, 1, 1);
        Assert.Equal(255, p.R);
        Assert.InRange(p.G, 127, 128);
        Assert.InRange(p.B, 0, 2);
        var grey16 = ImageFile.Decode(BadFiles.Png(6, 4, colorType: 0, bitDepth: 16, (x, y, c) => 0x4000), "grey16.png");
        Assert.InRange(Pixel(grey16, 0, 0).R, 63, 64);
        CaptionsEvery(rgb16, grey16);
    }

    [Fact]
    public void Zero_byte_file_is_refused_naming_the_file()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(dir.File("empty.png"), Array.Empty<byte>());
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(dir.File("empty.png")));
        Assert.Contains("empty.png", e.Message);
        Assert.Contains("is empty (0 bytes)", e.Message);
    }

    [Theory]
    [InlineData("png", 0.5)]
    [InlineData("png", 0.9)]
    [InlineData("jpeg", 0.5)]
    [InlineData("jpeg", 0.2)]
    public void Truncated_files_are_refused_not_half_decoded(string format, double keep)
    {
        var full = format == "png"
            ? RgbPng(64, 64)
            : SkiaEncode(64, 64, SKColorType.Rgba8888, SKEncodedImageFormat.Jpeg, (x, y) => new SKColor((byte)(x * 4), (byte)(y * 4), (byte)(x ^ y)));
        var cut = full.AsSpan(0, (int)(full.Length * keep)).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(cut, $"cut.{format}"));
        Assert.Contains($"cut.{format}", e.Message);
        // Cut inside the pixel data: the decoder reports incomplete input; cut inside the header: not recognisable.
        Assert.True(e.Message.Contains("truncated or corrupt", StringComparison.Ordinal) || e.Message.Contains("is corrupt or not an image format", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void A_30000_by_30000_png_header_is_refused_before_allocating()
    {
        var bomb = BadFiles.WithPngSize(RgbPng(8, 8), 30_000, 30_000);
        Assert.True(bomb.Length < 1_000);
        Assert.Equal((30_000, 30_000, "Png"), ImageFile.ReadHeader(bomb, "bomb.png"));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var workingSet = Environment.WorkingSet;
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(bomb, "bomb.png"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("bomb.png", e.Message);
        Assert.Contains("30000×30000 = 900,000,000 pixels", e.Message);
        Assert.Contains("MaxPixels = 50,000,000", e.Message);
        Assert.True(allocated < 1_000_000, $"{allocated} managed bytes allocated");
        Assert.True(Environment.WorkingSet - workingSet < 100_000_000, "the native pixel buffer (3.6 GB) must never be allocated");

        // The limit is an option: a smaller one refuses ordinary images too, with the same message.
        var small = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(RgbPng(40, 24), "photo.png", new ImageLoadOptions { MaxPixels = 100 }));
        Assert.Contains("40×24 = 960 pixels, more than ImageLoadOptions.MaxPixels = 100", small.Message);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("random")]
    [InlineData("png-signature-only")]
    public void Non_image_bytes_are_refused_naming_the_file(string kind)
    {
        byte[] bytes = kind switch
        {
            "text" => "hello, this is not an image\n"u8.ToArray(),
            "random" => Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 >> 3)).ToArray(),
            _ => new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A },
        };
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(bytes, $"{kind}.png"));
        Assert.Contains($"{kind}.png", e.Message);
        Assert.Contains("not an image format", e.Message);
    }

    [Fact]
    public void Dataset_loader_uses_the_same_checks()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(dir.File("bomb.png"), BadFiles.WithPngSize(RgbPng(8, 8), 30_000, 30_000));
        var e = Assert.Throws<InvalidDataException>(() => Microsoft.ML.MirrorGan.Data.RgbImage.Load(dir.File("bomb.png")));
        Assert.Contains("MaxPixels", e.Message);
    }

    [Fact]
    public void Mlnet_LoadImages_of_a_broken_file_reaches_the_captioner_as_a_named_row_error()
    {
        // ML.NET's own LoadImages decodes with MLImage (no header check: prefer ImageFile for untrusted files).
        using var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(dir.File("good.png"), RgbPng(32, 32));
        File.WriteAllBytes(dir.File("empty.png"), Array.Empty<byte>());
        var ml = new MLContext(1);
        var paths = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = "good.png" }, new PathRow { ImagePath = "empty.png" } });
        var images = ml.Transforms.LoadImages("Image", dir.Path, "ImagePath").Fit(paths).Transform(paths);
        var e = Assert.ThrowsAny<Exception>(() => Captioner(ml).Transform(images).GetColumn<string>("GeneratedCaption").ToArray());
        string all = string.Join(" | ", BadFiles.Chain(e).Select(x => x.Message));
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains("Row 1: column 'Image' holds an image file that cannot be decoded", e.Message);
    }
}
