using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>Builds real files and damages them for the bad-input tests: PNGs of any colour type and depth, zip entry surgery.</summary>
internal static class BadFiles
{
    /// <summary>
    /// A valid PNG written byte by byte (for layouts SkiaSharp's encoder does not produce: grey+alpha, 16-bit).
    /// <paramref name="colorType"/>: 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA; <paramref name="samples"/> row-major, one value per channel.
    /// </summary>
    public static byte[] Png(int width, int height, int colorType, int bitDepth, Func<int, int, int, int> samples)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new ArgumentOutOfRangeException(nameof(colorType)) };
        int bytesPerSample = bitDepth / 8;
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                {
                    int v = samples(x, y, c);
                    if (bytesPerSample == 2) { raw.WriteByte((byte)(v >> 8)); raw.WriteByte((byte)v); }
                    else raw.WriteByte((byte)v);
                }
        }
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(z);
        var png = new MemoryStream();
        png.Write(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", Array.Empty<byte>());
        return png.ToArray();
    }

    /// <summary>The same PNG with its IHDR width and height replaced (CRC fixed, so only the size is a lie).</summary>
    public static byte[] WithPngSize(byte[] png, int width, int height)
    {
        var copy = (byte[])png.Clone();
        // Signature (8) + length (4) + "IHDR" (4): width at 16, height at 20, CRC after the 13 data bytes at 29.
        if (copy[12] != 'I' || copy[13] != 'H') throw new ArgumentException("not a PNG starting with IHDR");
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), Crc32(copy.AsSpan(12, 17)));
        return copy;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var body = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) body[i] = (byte)type[i];
        data.CopyTo(body, 4);
        s.Write(body);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
        s.Write(crc);
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    /// <summary>The zip entry whose name ends with <paramref name="suffix"/> (exactly one must).</summary>
    public static string EntryName(string zip, string suffix)
    {
        using var archive = ZipFile.OpenRead(zip);
        var names = archive.Entries.Select(e => e.FullName).Where(n => n.EndsWith(suffix, StringComparison.Ordinal)).ToList();
        return names.Count == 1 ? names[0] : throw new InvalidOperationException($"{names.Count} entries end with {suffix}: {string.Join(", ", archive.Entries.Select(e => e.FullName))}");
    }

    public static byte[] ReadEntry(string zip, string name)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var s = archive.GetEntry(name)!.Open();
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Rewrites entry <paramref name="name"/> (a consistent zip: CRC and sizes match the new content); null deletes it.</summary>
    public static void ReplaceEntry(string zip, string name, byte[]? content)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        archive.GetEntry(name)!.Delete();
        if (content is null) return;
        using var s = archive.CreateEntry(name).Open();
        s.Write(content);
    }

    /// <summary>The whole chain of an exception and its inner exceptions, messages joined (ML.NET wraps loader errors).</summary>
    public static IEnumerable<Exception> Chain(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException) yield return x;
    }
}
