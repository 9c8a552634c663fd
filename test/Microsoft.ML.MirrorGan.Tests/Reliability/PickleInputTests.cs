using System.Buffers.Binary;
using System.Text;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Import;
using Microsoft.ML.MirrorGan.Import.Pickle;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, pickles and state dicts: hostile files through every import path (the vocabulary pickle, CUB's
/// filenames.pickle, legacy and zip-format <c>.pth</c> checkpoints). Each is refused with an error that names the file
/// and the reason, nothing in it runs, and no declared length is allocated.
/// </summary>
public class PickleInputTests
{
    private static readonly byte[] OsSystemProtocol0 = Encoding.ASCII.GetBytes("cos\nsystem\n(S'touch /tmp/mirrorgan-pwned'\ntR.");

    // Protocol 4: SHORT_BINUNICODE 'os', SHORT_BINUNICODE 'system', STACK_GLOBAL, SHORT_BINUNICODE 'id', TUPLE1, REDUCE, STOP.
    private static readonly byte[] OsSystemProtocol4 =
        new byte[] { 0x80, 4, 0x8c, 2 }.Concat("os"u8.ToArray()).Concat(new byte[] { 0x8c, 6 }).Concat("system"u8.ToArray())
            .Concat(new byte[] { 0x93, 0x8c, 2 }).Concat("id"u8.ToArray()).Concat(new byte[] { 0x85, (byte)'R', (byte)'.' }).ToArray();

    private static string Write(TestPaths.TempDir dir, string name, byte[] bytes)
    {
        File.WriteAllBytes(dir.File(name), bytes);
        return dir.File(name);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Global_reduce_payloads_are_refused_by_every_pickle_reader(int protocol)
    {
        var payload = protocol == 0 ? OsSystemProtocol0 : OsSystemProtocol4;
        using var dir = TestPaths.NewTempDir();
        string path = Write(dir, "captions.pickle", payload);

        var vocabulary = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadVocabulary(path));
        Assert.Contains("GLOBAL os.system is not allowed", vocabulary.Message);
        Assert.Contains(path, vocabulary.Message);
        var filenames = Assert.Throws<InvalidDataException>(() => PickleStringList.Read(path));
        Assert.Contains(path, filenames.Message);
        Assert.False(File.Exists("/tmp/mirrorgan-pwned"));
    }

    [Fact]
    public void A_legacy_checkpoint_with_a_payload_is_refused()
    {
        using var dir = TestPaths.NewTempDir();
        string path = Write(dir, "netG.pth", OsSystemProtocol4);            // starts with 0x80 like a legacy torch.save file
        var e = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadGenerator(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a legacy torch.save file", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void A_zip_checkpoint_whose_data_pkl_holds_a_payload_is_refused_before_pybridge(int protocol)
    {
        using var dir = TestPaths.NewTempDir();
        string path = dir.File("text_encoder.pth");
        File.Copy(TestPaths.Fixture("PyTorch/text_encoder_zip.pth"), path);
        BadFiles.ReplaceEntry(path, BadFiles.EntryName(path, "/data.pkl"), protocol == 0 ? OsSystemProtocol0 : OsSystemProtocol4);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadTextEncoder(path));
        Assert.Contains("GLOBAL os.system is not allowed", e.Message);
        Assert.Contains("data.pkl", e.Message);
    }

    [Fact]
    public void A_zip_checkpoint_declaring_a_4_GB_data_pkl_is_refused_before_allocating()
    {
        using var dir = TestPaths.NewTempDir();
        string path = dir.File("text_encoder.pth");
        var bytes = File.ReadAllBytes(TestPaths.Fixture("PyTorch/text_encoder_zip.pth"));
        // Central directory record of data.pkl: signature PK\1\2, uncompressed size at +24, name at +46.
        int found = 0;
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) != 0x02014b50) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 28));
            if (!Encoding.UTF8.GetString(bytes, i + 46, nameLength).EndsWith("/data.pkl", StringComparison.Ordinal)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), 0xFFFF_FFF0);
            found++;
        }
        Assert.Equal(1, found);
        File.WriteAllBytes(path, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => TorchStateDict.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000);
        Assert.Contains("declares 4,294,967,280 bytes", e.Message);
    }

    [Theory]
    [InlineData("BINUNICODE")]
    [InlineData("BINUNICODE8")]
    [InlineData("BINBYTES")]
    [InlineData("BINSTRING")]
    [InlineData("LONG4")]
    public void Huge_declared_lengths_are_refused_without_allocating_them(string opcode)
    {
        var bytes = new List<byte> { 0x80, 2 };
        switch (opcode)
        {
            case "BINUNICODE": bytes.Add((byte)'X'); bytes.AddRange(BitConverter.GetBytes(0xFFFF_FFF0u)); break;
            case "BINUNICODE8": bytes.Add(0x8d); bytes.AddRange(BitConverter.GetBytes(1L << 62)); break;
            case "BINBYTES": bytes.Add((byte)'B'); bytes.AddRange(BitConverter.GetBytes(0x7FFF_FFFFu)); break;
            case "BINSTRING": bytes.Add((byte)'T'); bytes.AddRange(BitConverter.GetBytes(-1)); break;
            case "LONG4": bytes.Add(0x8b); bytes.AddRange(BitConverter.GetBytes(int.MaxValue)); break;
        }
        bytes.AddRange("abc."u8.ToArray());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(bytes.ToArray(), "huge.pickle").Load());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Contains("'huge.pickle', byte 2", e.Message);
        Assert.Contains("beyond the end of the data", e.Message);
    }

    [Fact]
    public void A_legacy_checkpoint_whose_storage_claims_2_pow_62_values_is_refused()
    {
        // The element count follows the five pickles; 2^62 × 4 bytes overflowed to 0 before the fix and reached libtorch.
        var data = File.ReadAllBytes(TestPaths.Fixture("PyTorch/text_encoder_legacy.pth"));
        object inert = new();
        var policy = new PicklePolicy
        {
            AllowedGlobals = new HashSet<string> { "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch.FloatStorage", "torch.LongStorage" },
            Reduce = (g, _) => g.ToString() == "collections.OrderedDict" ? new PickleDict() : inert, Build = (_, _) => { }, PersistentLoad = _ => inert,
        };
        var reader = new RestrictedUnpickler(data, "scan", policy);
        for (int i = 0; i < 5; i++) reader.Load();
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan((int)reader.Position), 1L << 62);
        using var dir = TestPaths.NewTempDir();
        string path = Write(dir, "text_encoder.pth", data);
        var e = Assert.Throws<InvalidDataException>(() => TorchStateDict.Load(path));
        Assert.Contains("missing or cut short", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_read_without_recursion_and_refused_by_the_consumers()
    {
        const int depth = 200_000;
        var bytes = new List<byte> { 0x80, 2 };
        bytes.AddRange(Enumerable.Repeat((byte)']', depth));                 // EMPTY_LIST × depth
        bytes.AddRange(Enumerable.Repeat((byte)'a', depth - 1));             // APPEND: each list into its parent
        bytes.Add((byte)'.');
        var root = new RestrictedUnpickler(bytes.ToArray(), "deep.pickle").Load();
        Assert.IsType<List<object?>>(root);

        using var dir = TestPaths.NewTempDir();
        string path = Write(dir, "deep.pickle", bytes.ToArray());
        Assert.Contains("not an AttnGAN captions pickle", Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadVocabulary(path)).Message);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => PickleStringList.Read(path)).Message);

        // Nested tuples through MARK/TUPLE, and a dict keyed by a deeply nested tuple.
        var tuples = new List<byte> { 0x80, 2, (byte)'}' };                 // EMPTY_DICT, then the key:
        for (int i = 0; i < depth; i++) tuples.Add((byte)'(');
        for (int i = 0; i < depth; i++) tuples.Add((byte)'t');
        tuples.AddRange(new[] { (byte)'N', (byte)'s', (byte)'.' });          // value None, SETITEM, STOP
        var e = Record.Exception(() => new RestrictedUnpickler(tuples.ToArray(), "tuples.pickle").Load());
        Assert.True(e is null or InvalidDataException, e?.ToString());
    }

    [Fact]
    public void Persistent_ids_and_build_are_refused_in_plain_data_pickles()
    {
        var persid = new byte[] { 0x80, 2, (byte)'N', (byte)'Q', (byte)'.' };
        Assert.Contains("persistent id (BINPERSID) is not allowed", Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(persid, "p").Load()).Message);
        var build = new byte[] { 0x80, 2, (byte)'}', (byte)'}', (byte)'b', (byte)'.' };
        Assert.Contains("BUILD", Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(build, "b").Load()).Message);
        var ext = new byte[] { 0x80, 2, 0x82, 1, (byte)'.' };                 // EXT1: the copyreg extension registry
        Assert.Contains("opcode 0x82", Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(ext, "e").Load()).Message);
    }
}
