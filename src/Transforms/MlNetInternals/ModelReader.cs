
namespace Microsoft.ML.MirrorGan;

/// <summary>Reads what a <see cref="ModelWriter"/> wrote (a thin wrapper over ML.NET's internal load context).</summary>
public sealed class ModelReader
{
    private readonly ModelLoadContext _ctx;

    internal ModelReader(ModelLoadContext ctx, MirrorGanModelFormat format)
    {
        _ctx = ctx;
        Format = format;
        CheckHeader(ctx, format);
        _ctx.CheckAtModel(format.ToVersionInfo());
        ZipEntryChecksums.Verify(ctx, format);
    }

    /// <summary>The format this reader checked the model against.</summary>
    public MirrorGanModelFormat Format { get; }

    /// <summary>The format version the model was written with.</summary>
    public uint WrittenVersion => _ctx.Header.ModelVerWritten;

    /// <summary>The main model stream of this transformer.</summary>
    public BinaryReader Reader => _ctx.Reader;

    /// <summary>
    /// Reads an Int32 option (a size, a count) and checks it lies in [<paramref name="min"/>, <paramref name="max"/>], so
    /// that a damaged file fails here, naming the field, instead of asking libtorch for terabytes.
    /// </summary>
    public int ReadInt32(string field, int min, int max)
    {
        int value = _ctx.Reader.ReadInt32();
        if (value < min || value > max)
            throw new InvalidDataException(
                $"{Format.Owner.Name} model: {field} = {value} is outside [{min}, {max}]; the model file is damaged. Save the model again.");
        return value;
    }

    /// <summary>Reads a string written by <see cref="ModelWriter.WriteString"/>.</summary>
    public string ReadString() => _ctx.LoadNonEmptyString();

    // ML.NET's own check says only "model signature mismatch" or "too new"; say which type and version, and the fix.
    private static void CheckHeader(ModelLoadContext ctx, MirrorGanModelFormat format)
    {
        var header = ctx.Header;
        string expected = format.ModelSignature;
        string found = SignatureText(header.ModelSignature);
        if (found != expected)
            throw new InvalidDataException(
                $"'{ctx.Directory}' in the model zip holds a '{found}' model, not {format.Owner.Name} ('{expected}'). " +
                "The zip was written for another transformer, or its header is damaged.");
        if (header.ModelVerReadable > format.Version)
            throw new InvalidDataException(
                $"'{ctx.Directory}' in the model zip holds {format.Owner.Name} format version 0x{header.ModelVerWritten:X8}, readable from " +
                $"0x{header.ModelVerReadable:X8}; this build of {format.Owner.Assembly.GetName().Name} reads up to 0x{format.Version:X8}. " +
                "Update the Microsoft.ML.MirrorGan packages, or save the model with this version.");
        if (header.ModelVerWritten < format.OldestReadableVersion)
            throw new InvalidDataException(
                $"'{ctx.Directory}' in the model zip holds {format.Owner.Name} format version 0x{header.ModelVerWritten:X8}, older than the oldest this build reads " +
                $"(0x{format.OldestReadableVersion:X8}). Train and save the model again with this version.");
    }

    private static string SignatureText(ulong signature)
    {
        Span<char> chars = stackalloc char[8];
        for (int i = 0; i < 8; i++)
        {
            byte b = (byte)(signature >> (8 * i));
            chars[i] = b is >= 32 and < 127 ? (char)b : '?';
        }
        return new string(chars);
    }

    /// <summary>Reads a named zip entry; throws <see cref="InvalidDataException"/> naming the entry when it is missing.</summary>
    public void ReadEntry(string entryName, Action<BinaryReader> read)
    {
        if (!_ctx.TryLoadBinaryStream(entryName, read))
            throw new InvalidDataException(
                $"The model zip has no entry '{entryName}' for {Format.Owner.Name} (format {Format.ModelSignature}). " +
                "The file is incomplete or was written by another program; save the model again.");
    }

    /// <summary>Loads a TorchSharp module's parameters and buffers from a named zip entry into <paramref name="module"/>.</summary>
    public void ReadModule(string entryName, TorchSharp.torch.nn.Module module) =>
        ReadEntry(entryName, r =>
        {
            try
            {
                module.load(r, strict: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
            {
                throw new InvalidDataException(
                    $"The weights in zip entry '{entryName}' do not fit {Format.Owner.Name}'s network ({e.Message}). " +
                    "The entry is damaged or comes from a model with other options.", e);
            }
        });
}
