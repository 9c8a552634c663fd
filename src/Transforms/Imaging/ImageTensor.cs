using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Imaging;

/// <summary>
/// Converts between <see cref="MLImage"/> and the networks' image layout: channel-major RGB floats in [−1, 1]
/// (the range of the generator's tanh and of AttnGAN's data pipeline).
/// </summary>
public static class ImageTensor
{
    /// <summary>
    /// Resizes <paramref name="image"/> to <paramref name="size"/>×<paramref name="size"/> (bilinear, aspect not kept:
    /// loaders crop first) and writes RGB in [−1, 1] as 3×size×size floats into <paramref name="destination"/>.
    /// Alpha is dropped (composited over nothing), grey and BGRA inputs become RGB.
    /// </summary>
    public static void ToChw(MLImage image, int size, Span<float> destination)
    {
        if (image is null) throw new ArgumentNullException(nameof(image));
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "size must be positive.");
        if (destination.Length < 3 * size * size)
            throw new ArgumentException($"destination holds {destination.Length} floats; 3×{size}×{size} = {3 * size * size} are needed.", nameof(destination));
        if (image.Width <= 0 || image.Height <= 0)
            throw new ArgumentException($"The image has no pixels ({image.Width}×{image.Height}).", nameof(image));

        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        if (image.PixelFormat != MLPixelFormat.Bgra32 && image.PixelFormat != MLPixelFormat.Rgba32)
            throw new ArgumentException($"Pixel format {image.PixelFormat} is not supported; load images with MLImage.CreateFromFile/Stream.", nameof(image));

        ReadOnlySpan<byte> pixels = image.Pixels;
        byte[]? resized = null;
        if (image.Width != size || image.Height != size)
        {
            resized = Resize(pixels, image.Width, image.Height, bgra, size);
            pixels = resized;
            bgra = false;
        }
        int plane = size * size;
        int r = bgra ? 2 : 0, b = bgra ? 0 : 2;
        for (int p = 0; p < plane; p++)
        {
            destination[p] = pixels[4 * p + r] / 127.5f - 1f;
            destination[plane + p] = pixels[4 * p + 1] / 127.5f - 1f;
            destination[2 * plane + p] = pixels[4 * p + b] / 127.5f - 1f;
        }
    }

    /// <summary>Like <see cref="ToChw(MLImage, int, Span{float})"/>, into a new array.</summary>
    public static float[] ToChw(MLImage image, int size)
    {
        var result = new float[3 * size * size];
        ToChw(image, size, result);
        return result;
    }

    /// <summary>Makes an RGBA <see cref="MLImage"/> from 3×size×size floats in [−1, 1] (values outside are clipped).</summary>
    public static MLImage FromChw(ReadOnlySpan<float> chw, int size)
    {
        int plane = size * size;
        if (chw.Length != 3 * plane)
            throw new ArgumentException($"Expected 3×{size}×{size} = {3 * plane} floats, got {chw.Length}.", nameof(chw));
        var rgba = new byte[4 * plane];
        for (int p = 0; p < plane; p++)
        {
            rgba[4 * p] = ToByte(chw[p]);
            rgba[4 * p + 1] = ToByte(chw[plane + p]);
            rgba[4 * p + 2] = ToByte(chw[2 * plane + p]);
            rgba[4 * p + 3] = 255;
        }
        return MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, rgba);
    }

    /// <summary>Encodes 3×size×size floats in [−1, 1] as PNG bytes.</summary>
    public static byte[] ToPng(ReadOnlySpan<float> chw, int size)
    {
        int plane = size * size;
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var bytes = new byte[4 * plane];
        for (int p = 0; p < plane; p++)
        {
            bytes[4 * p] = ToByte(chw[p]);
            bytes[4 * p + 1] = ToByte(chw[plane + p]);
            bytes[4 * p + 2] = ToByte(chw[2 * plane + p]);
            bytes[4 * p + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte ToByte(float v) => (byte)Math.Clamp(MathF.Round((v + 1f) * 127.5f), 0f, 255f);

    private static byte[] Resize(ReadOnlySpan<byte> pixels, int width, int height, bool bgra, int size)
    {
        var colorType = bgra ? SKColorType.Bgra8888 : SKColorType.Rgba8888;
        using var src = new SKBitmap(new SKImageInfo(width, height, colorType, SKAlphaType.Unpremul));
        unsafe
        {
            fixed (byte* p = pixels)
                Buffer.MemoryCopy(p, (void*)src.GetPixels(), (long)width * height * 4, (long)width * height * 4);
        }
        using var dst = src.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.Medium)
            ?? throw new InvalidOperationException($"SkiaSharp could not resize a {width}×{height} image to {size}×{size}.");
        return dst.Bytes;
    }
}
