using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Imaging;

/// <summary>Limits applied when <see cref="ImageFile"/> decodes an image from untrusted bytes.</summary>
public sealed class ImageLoadOptions
{
    /// <summary>The default <see cref="MaxPixels"/>: 50 megapixels (200 MB once decoded to RGBA).</summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <summary>
    /// Largest width × height accepted. The header is read first and a larger image is refused before any pixel
    /// memory is allocated (a 30,000 × 30,000 PNG of a few kilobytes would otherwise ask for 3.6 GB).
    /// </summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>The defaults.</summary>
    public static ImageLoadOptions Default { get; } = new();
}

/// <summary>
/// Decodes image files (JPEG, PNG, GIF, BMP, WebP; any channel count and bit depth SkiaSharp reads) into opaque RGB
/// <see cref="MLImage"/>s with checks for hostile or broken input: an empty file, bytes that are not an image, a
/// declared size over <see cref="ImageLoadOptions.MaxPixels"/> (read from the header, before allocating) and a
/// truncated or corrupt file each give an <see cref="InvalidDataException"/> that names the file and the problem.
/// Grey, grey+alpha, palette, 16-bit and RGBA images become 8-bit RGB; alpha is composited over white.
/// </summary>
public static class ImageFile
{
    /// <summary>Reads only the header of <paramref name="encoded"/>: width, height and the encoded format.</summary>
    /// <exception cref="InvalidDataException">The bytes are empty or not an image format SkiaSharp knows.</exception>
    public static (int Width, int Height, string Format) ReadHeader(byte[] encoded, string name)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        using var data = Wrap(encoded, name);
        using var codec = CreateCodec(data, name);
        return (codec.Info.Width, codec.Info.Height, codec.EncodedFormat.ToString());
    }

    /// <summary>Loads an image file as opaque RGB (see the class remarks for the checks).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not an image, too large, truncated or corrupt.</exception>
    public static MLImage Load(string path, ImageLoadOptions? options = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image file '{path}' not found (expected a JPEG or PNG image).", path);
        return Decode(File.ReadAllBytes(path), path, options);
    }

    /// <summary>Decodes encoded image bytes as opaque RGB; <paramref name="name"/> names the source in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are empty, not an image, too large, truncated or corrupt.</exception>
    public static MLImage Decode(byte[] encoded, string name, ImageLoadOptions? options = null)
    {
        using var bitmap = DecodeRgba(encoded, name, options);
        return MLImage.CreateFromPixels(bitmap.Width, bitmap.Height, MLPixelFormat.Rgba32, bitmap.GetPixelSpan());
    }

    /// <summary>Decodes to an opaque RGBA bitmap (tightly packed rows); the caller owns it.</summary>
    internal static SKBitmap DecodeRgba(byte[] encoded, string name, ImageLoadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        options ??= ImageLoadOptions.Default;
        using var data = Wrap(encoded, name);
        using var codec = CreateCodec(data, name);
        int width = codec.Info.Width, height = codec.Info.Height;
        long pixels = (long)width * height;
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"Image file '{name}' declares a {width}×{height} image; the file is corrupt.");
        if (pixels > options.MaxPixels)
            throw new InvalidDataException(
                $"Image file '{name}' declares {width}×{height} = {pixels:N0} pixels, more than ImageLoadOptions.MaxPixels = {options.MaxPixels:N0}; " +
                "it was refused before decoding (a decompression bomb, or a photo to downscale first). Raise MaxPixels if the image is genuine.");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        // A truncated file still yields its decoded top part; a partly grey image would silently poison training.
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidDataException($"Image file '{name}' could not be decoded ({result}); the file is truncated or corrupt.");
        }
        FlattenAlphaOverWhite(bitmap);
        return bitmap;
    }

    private static SKData Wrap(byte[] encoded, string name)
    {
        if (encoded.Length == 0)
            throw new InvalidDataException($"Image file '{name}' is empty (0 bytes); expected a JPEG or PNG image.");
        return SKData.CreateCopy(encoded);
    }

    // SKCodec.Create parses the header only; no pixel memory is allocated yet.
    private static SKCodec CreateCodec(SKData data, string name) =>
        SKCodec.Create(data)
        ?? throw new InvalidDataException(
            $"Image file '{name}' is corrupt or not an image format SkiaSharp can decode (JPEG, PNG, GIF, BMP, WebP); it starts with {Head(data)}.");

    private static string Head(SKData data)
    {
        var span = data.AsSpan();
        return Convert.ToHexString(span[..Math.Min(8, span.Length)]);
    }

    private static void FlattenAlphaOverWhite(SKBitmap bitmap)
    {
        var px = bitmap.GetPixelSpan();
        var span = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(px), px.Length);
        for (int i = 0; i < span.Length; i += 4)
        {
            int a = span[i + 3];
            if (a == 255) continue;
            for (int k = 0; k < 3; k++)
                span[i + k] = (byte)((span[i + k] * a + 255 * (255 - a) + 127) / 255);
            span[i + 3] = 255;
        }
    }
}
