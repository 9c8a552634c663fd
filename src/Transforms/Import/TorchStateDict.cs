using System.Collections;
using System.IO.Compression;
using Microsoft.ML.MirrorGan.Import.Pickle;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Import;

/// <summary>Which <c>torch.save</c> container a checkpoint uses.</summary>
public enum TorchCheckpointFormat
{
    /// <summary>The zip container of PyTorch ≥ 1.6 (read with TorchSharp.PyBridge).</summary>
    Zip = 0,

    /// <summary>The legacy container of PyTorch ≤ 1.5 (the authors' 2018 checkpoints), read by this project's restricted reader.</summary>
    Legacy = 1,
}

/// <summary>
/// A PyTorch state dict (<c>torch.save(module.state_dict(), path)</c>) read without Python: parameter name → tensor
/// (float32 for floating tensors, int64 for integer ones), in file order. A <c>module.</c> prefix (DataParallel) is removed.
/// </summary>
public sealed class TorchStateDict : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;

    private TorchStateDict(string path, TorchCheckpointFormat format, List<KeyValuePair<string, Tensor>> entries)
    {
        Path = path;
        Format = format;
        bool parallel = entries.Count > 0 && entries.All(e => e.Key.StartsWith("module.", StringComparison.Ordinal));
        Names = entries.Select(e => parallel ? e.Key["module.".Length..] : e.Key).ToArray();
        _tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < Names.Count; i++) _tensors[Names[i]] = entries[i].Value;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>Its container format.</summary>
    public TorchCheckpointFormat Format { get; }

    /// <summary>Entry names in file order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether an entry exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor of entry <paramref name="name"/>; a missing entry is an error naming the file and the entry.</summary>
    public Tensor this[string name] => _tensors.TryGetValue(name, out var t) ? t
        : throw new InvalidDataException($"Checkpoint '{Path}' has no entry '{name}' (it has {Names.Count} entries, e.g. {string.Join(", ", Names.Take(5))}). " +
                                         "Is it the right kind of checkpoint for this import?");

    /// <summary>The shape of entry <paramref name="name"/>.</summary>
    public long[] Shape(string name) => this[name].shape;

    /// <summary>Reads a checkpoint in either format (detected from its first bytes).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a state dict this reader accepts (the message says why and what to do).</exception>
    public static TorchStateDict Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorch checkpoint '{path}' not found.", path);
        TorchRuntime.EnsureLoaded();
        var head = new byte[4];
        using (var f = File.OpenRead(path)) f.ReadExactly(head, 0, Math.Min(4, (int)f.Length));
        if (head[0] == 'P' && head[1] == 'K') return LoadZip(path);
        if (head[0] == 0x80) return LoadLegacy(path);
        throw new InvalidDataException($"'{path}' is neither a zip-format nor a legacy torch.save file (first bytes {Convert.ToHexString(head)}).");
    }

    private static TorchStateDict LoadZip(string path)
    {
        ScreenZipPickle(path);
        using var stream = File.OpenRead(path);
        Hashtable table;
        try { table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(stream); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' could not be read as a zip-format state dict: {e.Message}. " +
                "Save only the state dict (torch.save(model.state_dict(), path)), not the whole module.", e);
        }
        // PyBridge keeps insertion order in the Hashtable's enumeration only by accident; sort by name for stability.
        var entries = new List<KeyValuePair<string, Tensor>>();
        foreach (DictionaryEntry e in table)
        {
            if (e.Value is not Tensor t)
                throw new InvalidDataException($"'{path}': entry '{e.Key}' is a {e.Value?.GetType().Name ?? "None"}, not a tensor; save only the state dict.");
            entries.Add(new((string)e.Key, ToStandardType(t)));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new TorchStateDict(path, TorchCheckpointFormat.Zip, entries);
    }

    /// <summary>Names a PyTorch ≥ 1.6 state dict's <c>data.pkl</c> may refer to; anything else is refused before PyBridge runs.</summary>
    internal static readonly IReadOnlySet<string> ZipStateDictGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage", "torch.IntStorage",
        "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    };

    private const long MaxPickleBytes = 256L << 20;

    // PyBridge's unpickler (Razorvine) maps unknown GLOBALs to inert dictionaries and trusts declared lengths. Reading
    // data.pkl first with the restricted reader, allowing only the names a state dict uses and building nothing, turns a
    // hostile or damaged file (GLOBAL os.system + REDUCE, a string claiming 4 GB) into a clear error before PyBridge
    // sees it. Tensor data lives in separate entries and is not read here.
    private static void ScreenZipPickle(string path)
    {
        byte[]? pickle = null;
        string? entryName = null;
        long declared = 0;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
            if (entry is not null)
            {
                entryName = entry.FullName;
                declared = entry.Length;
                if (declared <= MaxPickleBytes)
                {
                    pickle = new byte[declared];
                    using var s = entry.Open();
                    s.ReadExactly(pickle);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)   // damaged zip directory or deflate data
        {
            throw new InvalidDataException($"'{path}' could not be read as a zip-format state dict: {e.Message} The file is truncated or damaged.", e);
        }
        if (entryName is null)
            throw new InvalidDataException($"'{path}' is a zip without data.pkl: not a torch.save checkpoint.");
        if (pickle is null)
            throw new InvalidDataException($"'{path}': {entryName} declares {declared:N0} bytes, more than the {MaxPickleBytes:N0} a state dict's index needs (corrupt or hostile file).");
        object placeholder = new();
        var policy = new PicklePolicy
        {
            AllowedGlobals = ZipStateDictGlobals,
            Reduce = (g, _) => g.ToString() == "collections.OrderedDict" ? new PickleDict() : placeholder,
            Build = (_, _) => { },
            PersistentLoad = _ => placeholder,
        };
        new RestrictedUnpickler(pickle, $"{path}:{entryName}", policy).Load();
    }

    private static TorchStateDict LoadLegacy(string path) =>
        new(path, TorchCheckpointFormat.Legacy, LegacyTorchReader.Read(path).Select(e => new KeyValuePair<string, Tensor>(e.Key, ToStandardType(e.Value))).ToList());

    private static Tensor ToStandardType(Tensor t) => t.dtype switch
    {
        ScalarType.Float32 or ScalarType.Int64 => t,
        ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 => t.to_type(ScalarType.Float32),
        _ => t.to_type(ScalarType.Int64),
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
    }
}
