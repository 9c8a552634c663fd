using System.Buffers.Binary;
using System.Numerics;
using Microsoft.ML.MirrorGan.Import.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Import;

/// <summary>
/// Reads PyTorch's legacy (pre-1.6, non-zip) <c>torch.save</c> container: five concatenated pickles (magic number,
/// protocol version 1001, system info, the state dict with tensors as persistent storage references, the sorted
/// storage keys) followed by each storage as an int64 element count and raw little-endian values. The pickles go
/// through <see cref="RestrictedUnpickler"/> with only the names a state dict needs (OrderedDict and the tensor
/// rebuild functions, interpreted here, never called), so no Python and nothing from the file ever runs.
/// </summary>
internal static class LegacyTorchReader
{
    private static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356");  // 0x1950a86a20f9469cfc6c
    private const long ProtocolVersion = 1001;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = (ScalarType.Float32, 4),
        ["torch.DoubleStorage"] = (ScalarType.Float64, 8),
        ["torch.HalfStorage"] = (ScalarType.Float16, 2),
        ["torch.LongStorage"] = (ScalarType.Int64, 8),
        ["torch.IntStorage"] = (ScalarType.Int32, 4),
        ["torch.ShortStorage"] = (ScalarType.Int16, 2),
        ["torch.CharStorage"] = (ScalarType.Int8, 1),
        ["torch.ByteStorage"] = (ScalarType.Byte, 1),
        ["torch.BoolStorage"] = (ScalarType.Bool, 1),
    };

    private sealed record StorageRef(string Key, ScalarType Type, int ElementSize, long Count);

    private sealed record PendingTensor(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    public static List<KeyValuePair<string, Tensor>> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        var policy = new PicklePolicy
        {
            AllowedGlobals = new HashSet<string>(StorageTypes.Keys.Concat(new[]
            {
                "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
            })),
            Reduce = (g, args) => Reduce(path, g, args),
            Build = (_, _) => { },   // OrderedDict state ({'_metadata': ...}) carries module versions only
            PersistentLoad = pid => Storage(path, pid, storages),
        };
        var reader = new RestrictedUnpickler(data, path, policy);
        object? magic;
        try { magic = reader.Load(); }
        catch (InvalidDataException) { throw NotLegacy(path); }
        if (magic is not BigInteger m || m != Magic) throw NotLegacy(path);
        if (reader.Load() is not long version || version != ProtocolVersion)
            throw new InvalidDataException($"'{path}': legacy torch.save protocol version is not {ProtocolVersion}; this reader knows only that version.");
        if (reader.Load() is PickleDict sys && sys.TryGetValue("little_endian", out var le) && le is false)
            throw new InvalidDataException($"'{path}' was saved on a big-endian machine; re-save it on a little-endian one.");
        var root = reader.Load();
        if (root is not PickleDict dict)
            throw new InvalidDataException($"'{path}' holds a {root?.GetType().Name ?? "None"}, not a state dict. Save only the state dict: torch.save(model.state_dict(), path).");
        var keys = reader.Load() as List<object?> ?? throw new InvalidDataException($"'{path}': the storage key list is missing (truncated file).");

        // Storages follow in the order of the key list: int64 element count, then raw values.
        var raw = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long pos = reader.Position;
        foreach (var k in keys)
        {
            string key = k as string ?? throw new InvalidDataException($"'{path}': a storage key is not a string.");
            if (!storages.TryGetValue(key, out var storage))
                throw new InvalidDataException($"'{path}': storage '{key}' is not referenced by any tensor (corrupt file).");
            if (pos + 8 > data.Length) throw Truncated(path, key);
            long count = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan((int)pos, 8));
            pos += 8;
            // Compare counts, not count × size: a hostile count of 2^62 would overflow the product and pass.
            if (count < 0 || count > (data.Length - pos) / storage.ElementSize) throw Truncated(path, key);
            long bytes = count * storage.ElementSize;
            raw[key] = FromBytes(data.AsSpan((int)pos, (int)bytes), storage.Type, count);
            pos += bytes;
        }

        var result = new List<KeyValuePair<string, Tensor>>();
        foreach (var (k, v) in dict.Entries)
        {
            if (v is not PendingTensor p)
                throw new InvalidDataException($"'{path}': entry '{k}' is a {v?.GetType().Name ?? "None"}, not a tensor. Save only the state dict.");
            if (!raw.TryGetValue(p.Storage.Key, out var flat)) throw Truncated(path, p.Storage.Key);
            if (p.Offset < 0 || p.Size.Any(s => s < 0) || p.Stride.Any(st => st < 0) || p.Size.Length != p.Stride.Length)
                throw new InvalidDataException($"'{path}': entry '{k}' has a negative or inconsistent size, stride or offset (corrupt file).");
            long needed;
            try
            {
                needed = checked(p.Size.Length == 0 ? p.Offset + 1 : p.Offset + p.Size.Zip(p.Stride, (s, st) => checked((s - 1) * st)).Sum() + 1);
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"'{path}': entry '{k}' declares a size that overflows 64 bits (corrupt or hostile file).");
            }
            if (p.Size.Any(s => s == 0)) needed = 0;
            if (needed > flat.shape[0])
                throw new InvalidDataException($"'{path}': entry '{k}' (shape [{string.Join(",", p.Size)}]) reaches past its storage of {flat.shape[0]} values (corrupt file).");
            var t = flat.as_strided(p.Size, p.Stride, p.Offset).contiguous().clone();
            result.Add(new((string)k, t));
        }
        foreach (var t in raw.Values) t.Dispose();
        return result;
    }

    private static object Reduce(string path, PickleGlobal g, PickleTuple args)
    {
        switch (g.ToString())
        {
            case "collections.OrderedDict":
                return new PickleDict();
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                if (args.Count < 4 || args[0] is not StorageRef storage || args[1] is not long offset || args[2] is not PickleTuple size || args[3] is not PickleTuple stride)
                    throw new InvalidDataException($"'{path}': a tensor record has unexpected arguments (corrupt or unsupported file).");
                return new PendingTensor(storage, offset, size.Items.Select(AsLong).ToArray(), stride.Items.Select(AsLong).ToArray());
            case "torch._utils._rebuild_parameter":   // (data, requires_grad, backward_hooks): keep the data
                return args[0] as PendingTensor ?? throw new InvalidDataException($"'{path}': a parameter record holds no tensor.");
            default:
                throw new InvalidDataException($"'{path}': {g} cannot be called here.");
        }
    }

    private static long AsLong(object? v) => v is long l ? l : throw new InvalidDataException("A tensor size or stride is not an integer.");

    private static object Storage(string path, object? pid, Dictionary<string, StorageRef> storages)
    {
        // ('storage', storage_type, root_key, location, size, view_metadata)
        if (pid is not PickleTuple t || t.Count < 5 || t[0] is not "storage" || t[1] is not PickleGlobal type || t[2] is not string key || t[4] is not long count)
            throw new InvalidDataException($"'{path}': a persistent id is not a storage reference (unsupported file).");
        if (t.Count > 5 && t[5] is not null)
            throw new InvalidDataException($"'{path}': storage views (PyTorch 0.3 view_metadata) are not supported; re-save the checkpoint with torch ≥ 0.4.");
        if (!StorageTypes.TryGetValue(type.ToString(), out var info))
            throw new InvalidDataException($"'{path}': storage type {type} is not supported.");
        if (!storages.TryGetValue(key, out var storage)) storages[key] = storage = new StorageRef(key, info.Type, info.Size, count);
        return storage;
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType type, long count)
    {
        // torch.frombuffer would alias the managed array; copy into a tensor TorchSharp owns.
        var t = torch.empty(new[] { count }, type);
        bytes.CopyTo(t.bytes);
        return t;
    }

    private static InvalidDataException Truncated(string path, string key) =>
        new($"'{path}': the data of storage '{key}' is missing or cut short (truncated download?).");

    private static InvalidDataException NotLegacy(string path) =>
        new($"'{path}' starts like a pickle but is not a legacy torch.save file (no magic number). " +
            "Pass a state dict saved with torch.save(model.state_dict(), path).");
}
