using System.IO.Compression;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>Reads IDX files (MNIST's format), gzip-compressed or not: unsigned-byte data of 1 to 3 dimensions.</summary>
internal static class IdxFile
{
    /// <summary>The dimensions and the data of <paramref name="path"/>; checks the magic, the type and the length.</summary>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedRank)
    {
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            bool gz = file.ReadByte() == 0x1F & file.ReadByte() == 0x8B;
            file.Position = 0;
            using var stream = gz ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            bytes = ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"IDX file '{path}': the gzip stream is corrupt ({e.Message}).", e);
        }
        if (bytes.Length < 4)
            throw new InvalidDataException($"IDX file '{path}': {bytes.Length} bytes is too short for the 4-byte magic at offset 0.");
        if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
            throw new InvalidDataException(
                $"IDX file '{path}': bad magic {bytes[0]:X2} {bytes[1]:X2} {bytes[2]:X2} {bytes[3]:X2} at offset 0 (expected 00 00 08 0{expectedRank}, unsigned-byte IDX).");
        if (bytes[3] != expectedRank)
            throw new InvalidDataException($"IDX file '{path}': {bytes[3]} dimensions at offset 3, expected {expectedRank}.");
        int header = 4 + 4 * expectedRank;
        if (bytes.Length < header)
            throw new InvalidDataException($"IDX file '{path}': header ends at offset {bytes.Length}, expected {header} bytes.");
        var dims = new int[expectedRank];
        long count = 1;
        for (int d = 0; d < expectedRank; d++)
        {
            int o = 4 + 4 * d;
            dims[d] = (bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3];
            if (dims[d] <= 0)
                throw new InvalidDataException($"IDX file '{path}': dimension {d} is {dims[d]} at offset {o}.");
            count *= dims[d];
        }
        if (bytes.Length - header != count)
            throw new InvalidDataException(
                $"IDX file '{path}': the header at offset 4 announces {string.Join("x", dims)} = {count} bytes of data, the file holds {bytes.Length - header} (truncated or wrong file).");
        return (dims, bytes.AsSpan(header).ToArray());
    }
}
