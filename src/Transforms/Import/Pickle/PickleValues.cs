namespace Microsoft.ML.MirrorGan.Import.Pickle;

/// <summary>A pickled tuple (kept apart from lists so that shapes and persistent ids are recognisable).</summary>
public sealed record PickleTuple(IReadOnlyList<object?> Items)
{
    /// <summary>Item <paramref name="i"/>.</summary>
    public object? this[int i] => Items[i];

    /// <summary>Number of items.</summary>
    public int Count => Items.Count;
}

/// <summary>A pickled dict (or OrderedDict) with its insertion order kept.</summary>
public sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> _entries = new();
    private readonly Dictionary<object, int> _index = new();

    /// <summary>Entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object, object?>> Entries => _entries;

    /// <summary>Sets <paramref name="key"/> (a later value replaces an earlier one in place, as in Python).</summary>
    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int i)) _entries[i] = new(key, value);
        else
        {
            _index[key] = _entries.Count;
            _entries.Add(new(key, value));
        }
    }

    /// <summary>Looks a key up.</summary>
    public bool TryGetValue(object key, out object? value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>A reference to a module-level name (GLOBAL / STACK_GLOBAL) that the reader's policy allowed; never resolved or called.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Module}.{Name}";
}
