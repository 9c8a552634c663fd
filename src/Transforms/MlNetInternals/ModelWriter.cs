using TorchSharp;

namespace Microsoft.ML.MirrorGan;

/// <summary>Writes one transformer's state into an ML.NET model zip (a thin wrapper over ML.NET's internal save context).</summary>
public sealed class ModelWriter
{
    private readonly ModelSaveContext _ctx;

    internal ModelWriter(ModelSaveContext ctx, MirrorGanModelFormat format)
    {
        _ctx = ctx;
        _ctx.CheckAtModel();
        _ctx.SetVersionInfo(format.ToVersionInfo());
    }

    /// <summary>The main model stream of this transformer.</summary>
    public BinaryWriter Writer => _ctx.Writer;

    /// <summary>Writes a non-empty string (column names, options).</summary>
    public void WriteString(string value) => _ctx.SaveNonEmptyString(value);

    /// <summary>Writes a separate named zip entry (network weights, vocabularies).</summary>
    public void WriteEntry(string entryName, Action<BinaryWriter> write) => _ctx.SaveBinaryStream(entryName, write);

    /// <summary>Writes a TorchSharp module's parameters and buffers (BatchNorm statistics included) into a named zip entry.</summary>
    public void WriteModule(string entryName, torch.nn.Module module) =>
        _ctx.SaveBinaryStream(entryName, w => module.save(w));
}
