using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Reads a pickle that holds one list of strings (AttnGAN's <c>filenames.pickle</c>, protocols 2 to 5, Python 2 or 3)
/// without executing anything: only the opcodes that build a list of strings are accepted, every other opcode
/// (GLOBAL, REDUCE, ...) is an error naming it and its byte offset.
/// </summary>
public static class PickleStringList
{
    private const long MaxStringBytes = 1 << 20;
    private const int MaxItems = 10_000_000;

    private sealed class Mark { }

    /// <summary>Reads the list from <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is not a pickled list of strings (names the file, byte offset and opcode).</exception>
    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Pickle file '{path}' not found (expected a pickled list of file names, e.g. AttnGAN's train/filenames.pickle).", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads the list from pickle bytes; <paramref name="name"/> names the source in errors.</summary>
    public static IReadOnlyList<string> Parse(ReadOnlySpan<byte> data, string name)
    {
        var stack = new List<object>();
        var memo = new Dictionary<long, object>();
        int pos = 0;
        while (true)
        {
            if (pos >= data.Length) throw Error(name, pos, "the file ends before the STOP opcode (truncated)");
            int at = pos;
            byte op = data[pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    Take(data, ref pos, 1, name, at);
                    break;
                case 0x95: // FRAME: a length hint only.
                    Take(data, ref pos, 8, name, at);
                    break;
                case (byte)']': // EMPTY_LIST
                    stack.Add(new List<string>());
                    break;
                case (byte)'(': // MARK
                    stack.Add(new Mark());
                    break;
                case (byte)'X': // BINUNICODE
                    stack.Add(Utf8(data, ref pos, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, name, at)), name, at));
                    break;
                case 0x8C: // SHORT_BINUNICODE
                    stack.Add(Utf8(data, ref pos, Take(data, ref pos, 1, name, at)[0], name, at));
                    break;
                case 0x8D: // BINUNICODE8
                    stack.Add(Utf8(data, ref pos, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref pos, 8, name, at)), name, at));
                    break;
                case (byte)'U': // SHORT_BINSTRING (Python 2 str)
                    stack.Add(Utf8(data, ref pos, Take(data, ref pos, 1, name, at)[0], name, at));
                    break;
                case (byte)'T': // BINSTRING (Python 2 str)
                    stack.Add(Utf8(data, ref pos, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, name, at)), name, at));
                    break;
                case (byte)'a': // APPEND
                {
                    var item = Pop(stack, name, at);
                    List(stack, name, at).Add(AsString(item, name, at));
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    int mark = stack.FindLastIndex(o => o is Mark);
                    if (mark < 0) throw Error(name, at, "APPENDS without a MARK");
                    var items = stack.Skip(mark + 1).Select(o => AsString(o, name, at)).ToList();
                    stack.RemoveRange(mark, stack.Count - mark);
                    var list = List(stack, name, at);
                    if (list.Count + items.Count > MaxItems) throw Error(name, at, $"more than {MaxItems} items");
                    list.AddRange(items);
                    break;
                }
                case 0x94: // MEMOIZE
                    memo[memo.Count] = Top(stack, name, at);
                    break;
                case (byte)'q': // BINPUT
                    memo[Take(data, ref pos, 1, name, at)[0]] = Top(stack, name, at);
                    break;
                case (byte)'r': // LONG_BINPUT
                    memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, name, at))] = Top(stack, name, at);
                    break;
                case (byte)'h': // BINGET
                case (byte)'j': // LONG_BINGET
                {
                    long key = op == 'h' ? Take(data, ref pos, 1, name, at)[0] : BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, name, at));
                    if (!memo.TryGetValue(key, out var value) || value is not string)
                        throw Error(name, at, $"memo get of entry {key}, which is not a stored string");
                    stack.Add(value);
                    break;
                }
                case (byte)'.': // STOP
                    if (stack.Count != 1 || stack[0] is not List<string> result)
                        throw Error(name, at, "STOP with something other than one list of strings on the stack");
                    return result;
                default:
                    throw Error(name, at, $"opcode 0x{op:X2}{Printable(op)} is not allowed (only a list of strings is accepted; nothing is executed)");
            }
        }
    }

    private static string Printable(byte op) => op is >= 0x21 and < 0x7F ? $" ('{(char)op}')" : "";

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int pos, long count, string name, int at)
    {
        if (count > data.Length - pos) throw Error(name, at, "the file ends inside an argument (truncated)");
        var slice = data.Slice(pos, (int)count);
        pos += (int)count;
        return slice;
    }

    private static string Utf8(ReadOnlySpan<byte> data, ref int pos, long length, string name, int at)
    {
        if (length > MaxStringBytes) throw Error(name, at, $"a string of {length} bytes (limit {MaxStringBytes})");
        var bytes = Take(data, ref pos, length, name, at);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            // Python 2 byte strings need not be UTF-8; pickle's own fallback for them is Latin-1.
            return Encoding.Latin1.GetString(bytes);
        }
    }

    private static object Pop(List<object> stack, string name, int at)
    {
        var top = Top(stack, name, at);
        stack.RemoveAt(stack.Count - 1);
        return top;
    }

    private static object Top(List<object> stack, string name, int at) =>
        stack.Count > 0 ? stack[^1] : throw Error(name, at, "the stack is empty");

    private static List<string> List(List<object> stack, string name, int at) =>
        Top(stack, name, at) as List<string> ?? throw Error(name, at, "append to something that is not a list");

    private static string AsString(object o, string name, int at) =>
        o as string ?? throw Error(name, at, "a list item that is not a string");

    private static InvalidDataException Error(string name, int offset, string what) =>
        new($"Pickle '{name}' at byte offset {offset}: {what}. Expected a pickled list of str (AttnGAN's filenames.pickle) or use a plain split list, one name a line.");
}
