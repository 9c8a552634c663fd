using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// The dataset loaders' crop-and-resize on top of the one public image loader,
/// <see cref="Microsoft.ML.MirrorGan.Imaging.ImageFile"/> (which does every decode and its checks), and the RGB byte
/// conversions the trainers and the Shapes scorer share.
/// </summary>
internal static class RgbImage
{
    /// <summary>
    /// Loads <paramref name="path"/> as opaque RGB, optionally cropping to <paramref name="crop"/> (clipped to the
    /// image) and resizing to <paramref name="size"/>×<paramref name="size"/> (0 keeps the cropped size).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image.</exception>
    public static MLImage Load(string path, SKRectI? crop = null, int size = 0)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image file '{path}' not found (expected a JPEG or PNG image).", path);
        using var bitmap = DecodeRgb(File.ReadAllBytes(path), path);
        return ToMLImage(bitmap, crop, size);
    }

    /// <summary>
    /// Decodes encoded image bytes (JPEG, PNG, ...) to opaque RGBA; <paramref name="name"/> names the source in errors.
    /// Goes through <see cref="Microsoft.ML.MirrorGan.Imaging.ImageFile"/>: an empty file, non-image bytes, a header over
    /// <see cref="Microsoft.ML.MirrorGan.Imaging.ImageLoadOptions.DefaultMaxPixels"/> (refused before allocating) and a
    /// truncated file are errors naming the file.
    /// </summary>
    internal static SKBitmap DecodeRgb(byte[] encoded, string name) =>
        Microsoft.ML.MirrorGan.Imaging.ImageFile.DecodeRgba(encoded, name, null);

    internal static MLImage ToMLImage(SKBitmap rgba, SKRectI? crop, int size)
    {
        SKBitmap current = rgba;
        SKBitmap? owned = null;
        try
        {
            if (crop is { } c)
            {
                var r = SKRectI.Intersect(c, new SKRectI(0, 0, rgba.Width, rgba.Height));
                if (r.Width <= 0 || r.Height <= 0)
                    throw new InvalidDataException($"Crop {c} lies outside the {rgba.Width}x{rgba.Height} image.");
                var cropped = new SKBitmap(new SKImageInfo(r.Width, r.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                if (!rgba.ExtractSubset(cropped, r))
                    throw new InvalidDataException($"Crop {r} of a {rgba.Width}x{rgba.Height} image failed.");
                owned = cropped;
                current = cropped;
            }
            if (size > 0 && (current.Width != size || current.Height != size))
            {
                var resized = current.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.High)
                    ?? throw new InvalidDataException($"Resizing a {current.Width}x{current.Height} image to {size}x{size} failed.");
                owned?.Dispose();
                owned = resized;
                current = resized;
            }
            return FromBitmap(current);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    // A subset bitmap shares its parent's rows, so rows are RowBytes apart, not Width * 4.
    private static MLImage FromBitmap(SKBitmap rgba)
    {
        int w = rgba.Width, h = rgba.Height, stride = rgba.RowBytes;
        var src = rgba.GetPixelSpan();
        if (stride == w * 4) return FromRgba(w, h, src);
        var packed = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            src.Slice(y * stride, w * 4).CopyTo(packed.AsSpan(y * w * 4));
        return FromRgba(w, h, packed);
    }

    /// <summary>An <see cref="MLImage"/> from tightly packed RGBA bytes (row-major, 4 bytes a pixel).</summary>
    internal static MLImage FromRgba(int width, int height, ReadOnlySpan<byte> rgba) =>
        MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba.Slice(0, width * height * 4));

    /// <summary>An <see cref="MLImage"/> from packed RGB bytes (row-major, 3 bytes a pixel).</summary>
    internal static MLImage FromRgb(int width, int height, ReadOnlySpan<byte> rgb)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0, j = 0; i < width * height; i++, j += 3)
        {
            rgba[4 * i] = rgb[j];
            rgba[4 * i + 1] = rgb[j + 1];
            rgba[4 * i + 2] = rgb[j + 2];
            rgba[4 * i + 3] = 255;
        }
        return FromRgba(width, height, rgba);
    }

    /// <summary>The image's pixels as packed RGB bytes, whatever the image's pixel format.</summary>
    public static byte[] ToRgb(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var px = image.Pixels;
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        if (!bgra && image.PixelFormat != MLPixelFormat.Rgba32)
            throw new ArgumentException($"Unsupported MLImage pixel format {image.PixelFormat}; expected Rgba32 or Bgra32.", nameof(image));
        int n = image.Width * image.Height;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            rgb[3 * i] = px[4 * i + (bgra ? 2 : 0)];
            rgb[3 * i + 1] = px[4 * i + 1];
            rgb[3 * i + 2] = px[4 * i + (bgra ? 0 : 2)];
        }
        return rgb;
    }
}
