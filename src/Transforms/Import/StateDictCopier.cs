using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Import;

/// <summary>
/// Copies checkpoint entries into modules through a name map (this project's state-dict name → the original's),
/// checking every shape, and at the end insists that every checkpoint entry found a home: a leftover entry means the
/// checkpoint's architecture differs from the one built, which must not pass silently.
/// </summary>
internal sealed class StateDictCopier
{
    private readonly TorchStateDict _source;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public StateDictCopier(TorchStateDict source) => _source = source;

    /// <summary>Fills every tensor of <paramref name="target"/> from entry <c>map(name)</c>.</summary>
    public void Copy(nn.Module target, Func<string, string> map, string what)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in target.state_dict())
        {
            string original = map(name);
            if (!_source.Contains(original))
            {
                // PyTorch < 0.4.1 checkpoints have no BatchNorm counters; they do not affect inference.
                if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
                throw new InvalidDataException(
                    $"Checkpoint '{_source.Path}' has no entry '{original}' for {what} parameter '{name}'. " +
                    "Check that the file is the right checkpoint (see the name-mapping table in the README).");
            }
            var value = _source[original];
            if (!value.shape.SequenceEqual(tensor.shape))
                throw new InvalidDataException(
                    $"Checkpoint '{_source.Path}': entry '{original}' has shape [{string.Join(",", value.shape)}] but {what} " +
                    $"parameter '{name}' needs [{string.Join(",", tensor.shape)}]. The architecture implied by the other entries does not fit this one.");
            tensor.copy_(value.to_type(tensor.dtype));
            _used.Add(original);
        }
    }

    /// <summary>Throws when some checkpoint entries were not used.</summary>
    public void EnsureAllUsed(string what)
    {
        var left = _source.Names.Where(n => !_used.Contains(n) && !n.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        if (left.Count > 0)
            throw new InvalidDataException(
                $"Checkpoint '{_source.Path}' has {left.Count} entries that {what} does not use ({string.Join(", ", left.Take(8))}{(left.Count > 8 ? ", …" : "")}). " +
                "It is probably a different network or a modified architecture.");
    }
}
