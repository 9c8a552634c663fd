using Microsoft.ML;

namespace Microsoft.ML.MirrorGan;

/// <summary>Reads what a <see cref="ModelWriter"/> wrote (a thin wrapper over ML.NET's internal load context).</summary>
public sealed class ModelReader
{
    private readonly ModelLoadContext _ctx;

    internal ModelReader(ModelLoadContext ctx, MirrorGanModelFormat format)
    {
        _ctx = ctx;
        _ctx.CheckAtModel(format.ToVersionInfo());
        Format = format;
    }

    /// <summary>The format this reader checked the model against.</summary>
    public MirrorGanModelFormat Format { get; }

    /// <summary>The format version the model was written with.</summary>
    public uint WrittenVersion => _ctx.Header.ModelVerWritten;

    /// <summary>The main model stream of this transformer.</summary>
    public BinaryReader Reader => _ctx.Reader;

    /// <summary>Reads a string written by <see cref="ModelWriter.WriteString"/>.</summary>
    public string ReadString() => _ctx.LoadNonEmptyString();

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
