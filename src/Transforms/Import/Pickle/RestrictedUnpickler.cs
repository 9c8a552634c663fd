using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Microsoft.ML.MirrorGan.Import.Pickle;

/// <summary>
/// What a <see cref="RestrictedUnpickler"/> may build beyond plain data. Nothing is ever imported or executed: an
/// allowed GLOBAL becomes an inert <see cref="PickleGlobal"/>, and REDUCE/BUILD/persistent ids are handed to these
/// callbacks, which construct plain .NET values (or refuse).
/// </summary>
public sealed class PicklePolicy
{
    /// <summary>Names a GLOBAL may refer to (<c>module.name</c>); empty: no GLOBAL at all.</summary>
    public IReadOnlySet<string> AllowedGlobals { get; init; } = new HashSet<string>();

    /// <summary>Builds the value of REDUCE(callable, args) for an allowed callable; null: REDUCE is refused.</summary>
    public Func<PickleGlobal, PickleTuple, object?>? Reduce { get; init; }

    /// <summary>Applies BUILD(object, state); null: BUILD is refused.</summary>
    public Action<object?, object?>? Build { get; init; }

    /// <summary>Resolves a persistent id (BINPERSID); null: persistent ids are refused.</summary>
    public Func<object?, object?>? PersistentLoad { get; init; }

    /// <summary>Plain data only: lists, tuples, dicts, strings, bytes, numbers, booleans, None.</summary>
    public static PicklePolicy DataOnly { get; } = new();
}

/// <summary>
/// A pickle reader (protocols 0-5 as written by Python 2 and 3) that accepts only the opcodes needed for plain data,
/// plus what a <see cref="PicklePolicy"/> explicitly allows. It never imports a module or calls anything, so a hostile
/// file (GLOBAL os.system + REDUCE, ...) yields an <see cref="InvalidDataException"/> that names the source, the byte
/// offset, the opcode and the referenced name. Python 2 byte strings are decoded as UTF-8 (Latin-1 if invalid).
/// </summary>
public sealed class RestrictedUnpickler
{
    private const int MaxContainerItems = 50_000_000;
    private readonly byte[] _data;
    private readonly string _name;
    private readonly PicklePolicy _policy;
    private sealed class Mark { public static readonly Mark Instance = new(); }

    /// <summary>Creates a reader over <paramref name="data"/>; <paramref name="name"/> names the source in errors.</summary>
    public RestrictedUnpickler(byte[] data, string name, PicklePolicy? policy = null)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _name = name;
        _policy = policy ?? PicklePolicy.DataOnly;
    }

    /// <summary>Byte offset of the next pickle (several may be concatenated, as in PyTorch's legacy format).</summary>
    public long Position { get; set; }

    /// <summary>Reads one pickle from a file with <see cref="PicklePolicy.DataOnly"/>.</summary>
    public static object? LoadFile(string path, PicklePolicy? policy = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Pickle file '{path}' not found.", path);
        return new RestrictedUnpickler(File.ReadAllBytes(path), path, policy).Load();
    }

    /// <summary>Reads the pickle at <see cref="Position"/> and leaves <see cref="Position"/> after its STOP.</summary>
    public object? Load()
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        long pos = Position;
        while (true)
        {
            if (pos >= _data.Length) throw Error(pos, "the data ends before the STOP opcode (truncated file)");
            long at = pos;
            byte op = _data[pos++];
            switch (op)
            {
                case 0x80: pos += 1; break;                                  // PROTO
                case 0x95: pos += 8; break;                                  // FRAME (a length hint)
                case (byte)'.':                                               // STOP
                    Position = pos;
                    if (stack.Count != 1) throw Error(at, $"STOP with {stack.Count} values on the stack");
                    return stack[0];
                case (byte)'(': stack.Add(Mark.Instance); break;             // MARK
                case (byte)']': stack.Add(new List<object?>()); break;       // EMPTY_LIST
                case (byte)'}': stack.Add(new PickleDict()); break;          // EMPTY_DICT
                case (byte)')': stack.Add(new PickleTuple(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case (byte)'N': stack.Add(null); break;                      // NONE
                case 0x88: stack.Add(true); break;                           // NEWTRUE
                case 0x89: stack.Add(false); break;                          // NEWFALSE
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(ref pos, 4, at))); break; // BININT
                case (byte)'K': stack.Add((long)Take(ref pos, 1, at)[0]); break;                                   // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(ref pos, 2, at))); break; // BININT2
                case 0x8a: stack.Add(Long(Take(ref pos, Take(ref pos, 1, at)[0], at))); break;                     // LONG1
                case 0x8b: stack.Add(Long(Take(ref pos, Length(BinaryPrimitives.ReadInt32LittleEndian(Take(ref pos, 4, at)), at), at))); break; // LONG4
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(ref pos, 8, at))); break;      // BINFLOAT
                case (byte)'I': stack.Add(TextInt(Line(ref pos, at), at)); break;                                  // INT (protocol 0)
                case (byte)'L': stack.Add(TextInt(Line(ref pos, at).TrimEnd('L'), at)); break;                     // LONG (protocol 0)
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(ref pos, Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(ref pos, 4, at)), at), at))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(ref pos, Take(ref pos, 1, at)[0], at))); break;  // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(ref pos, Length(BinaryPrimitives.ReadInt64LittleEndian(Take(ref pos, 8, at)), at), at))); break; // BINUNICODE8
                case (byte)'T': stack.Add(Py2String(Take(ref pos, Length(BinaryPrimitives.ReadInt32LittleEndian(Take(ref pos, 4, at)), at), at))); break; // BINSTRING
                case (byte)'U': stack.Add(Py2String(Take(ref pos, Take(ref pos, 1, at)[0], at))); break;           // SHORT_BINSTRING
                case (byte)'B': stack.Add(Take(ref pos, Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(ref pos, 4, at)), at), at).ToArray()); break; // BINBYTES
                case (byte)'C': stack.Add(Take(ref pos, Take(ref pos, 1, at)[0], at).ToArray()); break;            // SHORT_BINBYTES
                case (byte)'q': memo[Take(ref pos, 1, at)[0]] = Top(stack, at); break;                            // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(ref pos, 4, at))] = Top(stack, at); break; // LONG_BINPUT
                case (byte)'p': memo[TextInt(Line(ref pos, at), at) is long putKey ? putKey : 0] = Top(stack, at); break;  // PUT
                case 0x94: memo[memo.Count] = Top(stack, at); break;                                              // MEMOIZE
                case (byte)'h': stack.Add(Get(memo, Take(ref pos, 1, at)[0], at)); break;                        // BINGET
                case (byte)'j': stack.Add(Get(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(ref pos, 4, at)), at)); break; // LONG_BINGET
                case (byte)'g': stack.Add(Get(memo, TextInt(Line(ref pos, at), at) is long getKey ? getKey : -1, at)); break; // GET
                case (byte)'0': Pop(stack, at); break;                                                            // POP
                case (byte)'1': PopMark(stack, at); break;                                                        // POP_MARK
                case (byte)'2': stack.Add(Top(stack, at)); break;                                                 // DUP
                case (byte)'t': stack.Add(new PickleTuple(PopMark(stack, at))); break;                           // TUPLE
                case 0x85: stack.Add(new PickleTuple(PopN(stack, 1, at))); break;                                // TUPLE1
                case 0x86: stack.Add(new PickleTuple(PopN(stack, 2, at))); break;                                // TUPLE2
                case 0x87: stack.Add(new PickleTuple(PopN(stack, 3, at))); break;                                // TUPLE3
                case (byte)'l': stack.Add(PopMark(stack, at).ToList()); break;                                   // LIST
                case (byte)'a': { var v = Pop(stack, at); As<List<object?>>(Top(stack, at), at, "APPEND").Add(v); break; } // APPEND
                case (byte)'e': { var items = PopMark(stack, at); var list = As<List<object?>>(Top(stack, at), at, "APPENDS"); if (list.Count + items.Length > MaxContainerItems) throw Error(at, "list too large"); list.AddRange(items); break; } // APPENDS
                case (byte)'d': { var items = PopMark(stack, at); var d = new PickleDict(); SetItems(d, items, at); stack.Add(d); break; } // DICT
                case (byte)'s': { var v = Pop(stack, at); var k = Pop(stack, at); As<PickleDict>(Top(stack, at), at, "SETITEM").Set(Key(k, at), v); break; } // SETITEM
                case (byte)'u': { var items = PopMark(stack, at); SetItems(As<PickleDict>(Top(stack, at), at, "SETITEMS"), items, at); break; } // SETITEMS
                case (byte)'c': stack.Add(Global(Line(ref pos, at), Line(ref pos, at), at)); break;             // GLOBAL
                case 0x93: { var name = Pop(stack, at) as string; var module = Pop(stack, at) as string; stack.Add(Global(module ?? "?", name ?? "?", at)); break; } // STACK_GLOBAL
                case (byte)'R':                                                                                    // REDUCE
                {
                    var args = Pop(stack, at) as PickleTuple ?? throw Error(at, "REDUCE arguments are not a tuple");
                    var callable = Pop(stack, at);
                    if (_policy.Reduce is null || callable is not PickleGlobal g)
                        throw Error(at, $"REDUCE (a call of {callable ?? "None"}) is not allowed in this file");
                    stack.Add(_policy.Reduce(g, args));
                    break;
                }
                case (byte)'b':                                                                                    // BUILD
                {
                    var state = Pop(stack, at);
                    if (_policy.Build is null) throw Error(at, "BUILD (setting an object's state) is not allowed in this file");
                    _policy.Build(Top(stack, at), state);
                    break;
                }
                case (byte)'Q':                                                                                    // BINPERSID
                {
                    var pid = Pop(stack, at);
                    if (_policy.PersistentLoad is null) throw Error(at, "a persistent id (BINPERSID) is not allowed in this file");
                    stack.Add(_policy.PersistentLoad(pid));
                    break;
                }
                default:
                    throw Error(at, $"opcode 0x{op:x2} ('{(op >= 32 && op < 127 ? (char)op : '?')}') is not allowed: this reader builds plain data only " +
                        "(objects, calls and extensions are refused so that nothing in the file can run)");
            }
        }
    }

    private PickleGlobal Global(string module, string name, long at)
    {
        string full = $"{module}.{name}";
        if (!_policy.AllowedGlobals.Contains(full))
            throw Error(at, $"GLOBAL {full} is not allowed (this file may only contain " +
                (_policy.AllowedGlobals.Count == 0 ? "plain data" : string.Join(", ", _policy.AllowedGlobals.Order())) + "); nothing was imported or run");
        return new PickleGlobal(module, name);
    }

    private void SetItems(PickleDict d, object?[] items, long at)
    {
        if (items.Length % 2 != 0) throw Error(at, "odd number of dict items");
        for (int i = 0; i < items.Length; i += 2) d.Set(Key(items[i], at), items[i + 1]);
    }

    private object Key(object? key, long at) => key switch
    {
        string or long or bool or double or BigInteger => key,
        PickleTuple t => string.Join("\u0001", t.Items),   // tuple keys are rare; keep them hashable
        null => throw Error(at, "a dict key is None"),
        _ => throw Error(at, $"a dict key of type {key.GetType().Name} is not supported"),
    };

    private static object Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private object TextInt(string text, long at)
    {
        if (text == "00") return false;
        if (text == "01") return true;
        return long.TryParse(text, out long v) ? v : BigInteger.TryParse(text, out var b) ? b : throw Error(at, $"'{text}' is not an integer");
    }

    private static string Py2String(ReadOnlySpan<byte> bytes)
    {
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(bytes); }
    }

    private int Length(long n, long at) =>
        n < 0 || n > _data.Length ? throw Error(at, $"a length of {n} bytes is beyond the end of the data (corrupt file)") : (int)n;

    private ReadOnlySpan<byte> Take(ref long pos, int n, long at)
    {
        if (pos + n > _data.Length) throw Error(at, "the data ends inside an opcode's argument (truncated file)");
        var span = new ReadOnlySpan<byte>(_data, (int)pos, n);
        pos += n;
        return span;
    }

    private string Line(ref long pos, long at)
    {
        int end = Array.IndexOf(_data, (byte)'\n', (int)pos);
        if (end < 0) throw Error(at, "a text argument has no end of line (truncated file)");
        string s = Encoding.UTF8.GetString(_data, (int)pos, end - (int)pos);
        pos = end + 1;
        return s;
    }

    private object? Get(Dictionary<long, object?> memo, long key, long at) =>
        memo.TryGetValue(key, out var v) ? v : throw Error(at, $"memo entry {key} is not defined (corrupt file)");

    private object? Top(List<object?> stack, long at) =>
        stack.Count == 0 || stack[^1] is Mark ? throw Error(at, "stack underflow (corrupt file)") : stack[^1];

    private object? Pop(List<object?> stack, long at)
    {
        var v = Top(stack, at);
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    private object?[] PopN(List<object?> stack, int n, long at)
    {
        if (stack.Count < n || stack.Skip(stack.Count - n).Any(v => v is Mark)) throw Error(at, "stack underflow (corrupt file)");
        var items = stack.GetRange(stack.Count - n, n).ToArray();
        stack.RemoveRange(stack.Count - n, n);
        return items;
    }

    private object?[] PopMark(List<object?> stack, long at)
    {
        int m = stack.FindLastIndex(v => v is Mark);
        if (m < 0) throw Error(at, "no MARK on the stack (corrupt file)");
        var items = stack.GetRange(m + 1, stack.Count - m - 1).ToArray();
        stack.RemoveRange(m, stack.Count - m);
        return items;
    }

    private T As<T>(object? value, long at, string opcode) where T : class =>
        value as T ?? throw Error(at, $"{opcode} applied to a {value?.GetType().Name ?? "None"}");

    private InvalidDataException Error(long at, string message) => new($"Pickle '{_name}', byte {at}: {message}.");
}
