using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>PNG output and checked decoding of uploads (all in memory).</summary>
internal static class ImageCodec
{
    /// <summary>Lossless PNG of CHW floats in [−1, 1]; deterministic, so the same pixels give the same bytes.</summary>
    public static byte[] Png(float[] chw, int size) => ImageTensor.ToPng(chw, size);

    /// <summary>
    /// A word's attention map as a heat-map PNG (black → red → yellow → white), scaled by its own maximum so weak
    /// and strong words are both visible.
    /// </summary>
    public static byte[] HeatMap(float[] map, int side)
    {
        float max = 0f;
        foreach (float v in map) max = Math.Max(max, v);
        int plane = side * side;
        var chw = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            float a = max > 0f ? Math.Clamp(map[i] / max, 0f, 1f) : 0f;
            float r = Math.Clamp(a * 3f, 0f, 1f), g = Math.Clamp(a * 3f - 1f, 0f, 1f), b = Math.Clamp(a * 3f - 2f, 0f, 1f);
            chw[i] = r * 2f - 1f;
            chw[plane + i] = g * 2f - 1f;
            chw[2 * plane + i] = b * 2f - 1f;
        }
        return ImageTensor.ToPng(chw, side);
    }

    /// <summary>Outcome of <see cref="TryDecode"/>.</summary>
    public sealed record Decoded(MLImage? Image, string? Error);

    /// <summary>
    /// Decodes a PNG or JPEG. The header is read first: an image larger than <paramref name="maxSide"/> on a side is refused
    /// before its pixels are allocated (a decompression bomb stays a few bytes).
    /// </summary>
    public static Decoded TryDecode(byte[] data, int maxSide)
    {
        if (data.Length == 0) return new(null, "The image is empty (0 bytes).");
        bool png = data.Length >= 8 && data.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        bool jpeg = data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
        if (!png && !jpeg) return new(null, "The bytes are not a PNG or JPEG image.");
        // The size from the header alone (Skia wants more of the file before it says): refuse a bomb before any decoder runs.
        var declared = png ? PngSize(data) : JpegSize(data);
        if (declared is null) return new(null, "The image header cannot be read (damaged or truncated file).");
        var (w, h) = declared.Value;
        if (w < 1 || h < 1) return new(null, $"The image header says {w}×{h} pixels.");
        if (w > maxSide || h > maxSide)
            return new(null, $"The image is {w}×{h} pixels; the limit is {maxSide} pixels a side (MirrorGan:MaxImageSide).");
        using (var stream = new SKMemoryStream(data))
        using (var codec = SKCodec.Create(stream))
        {
            if (codec is null) return new(null, "The image cannot be decoded (damaged or truncated file).");
            var info = codec.Info;
            // Decode every row once: Skia's one-call decoders return a partly grey image for a truncated file.
            using var bitmap = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
                return new(null, $"The image cannot be decoded ({result}: damaged or truncated file).");
        }
        try
        {
            var image = MLImage.CreateFromStream(new MemoryStream(data, writable: false));
            return new(image, null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return new(null, $"The image cannot be decoded ({e.Message}).");
        }
    }

    /// <summary>Width and height from a PNG's IHDR chunk (bytes 16–23), or null.</summary>
    private static (long, long)? PngSize(byte[] d)
    {
        if (d.Length < 24 || d[12] != (byte)'I' || d[13] != (byte)'H' || d[14] != (byte)'D' || d[15] != (byte)'R') return null;
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(20)));
    }

    /// <summary>Width and height from a JPEG's first start-of-frame marker, or null.</summary>
    private static (long, long)? JpegSize(byte[] d)
    {
        int i = 2;
        while (i + 4 <= d.Length)
        {
            if (d[i] != 0xFF) return null;
            byte marker = d[i + 1];
            if (marker == 0xFF) { i++; continue; }                       // fill byte
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) { i += 2; continue; } // no length
            int length = (d[i + 2] << 8) | d[i + 3];
            if (length < 2) return null;
            bool sof = marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);
            if (sof)
            {
                if (i + 9 > d.Length) return null;
                return ((d[i + 7] << 8) | d[i + 8], (d[i + 5] << 8) | d[i + 6]);
            }
            if (marker == 0xDA) return null;                                // scan data before any frame header
            i += 2 + length;
        }
        return null;
    }
}
