using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Tests.Onnx;
using Microsoft.ML.MirrorGan.Tests.TextEmbed;
using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, model files: damaged, foreign and newer ML.NET zips through <c>mlContext.Model.Load</c>, and damaged or
/// mismatched ONNX graphs through the ONNX Runtime runners. Every case ends in a managed exception that says what is
/// wrong (ML.NET wraps a loader's exception in a TargetInvocationException; the InvalidDataException is inside).
/// </summary>
public class ModelFileTests : IClassFixture<OnnxTestModels>
{
    private static readonly string[] Train = { "a red circle on the left", "a big blue square" };
    private readonly OnnxTestModels _onnx;

    public ModelFileTests(OnnxTestModels onnx) => _onnx = onnx;

    private static string SaveTextEmbed(MLContext ml, string path, int hidden = 4)
    {
        TorchRuntime.EnsureLoaded();
        TorchSharp.torch.manual_seed(1);
        var vocabulary = Vocabulary.Build(Train);
        var text = new TextEncoder(vocabulary.Count, 8, hidden);
        var t = new TextEmbedTransformer(ml, vocabulary, text, new DamsmImageEncoder(new SmallCnnBackbone(32, 4), text.FeatureSize), new TextEmbedColumns(), 6, 32);
        ml.Model.Save(t, StemTestData.Captions(ml, "a").Schema, path);
        return path;
    }

    private static float[] Sentence(MLContext ml, ITransformer t) =>
        t.Transform(StemTestData.Captions(ml, "a red circle")).GetColumn<float[]>("SentenceFeature").First();

    /// <summary>Model.Load fails; returns every message in the exception chain and the innermost InvalidDataException.</summary>
    private static (string All, Exception Clear) LoadFails(MLContext ml, string zip)
    {
        var e = Assert.ThrowsAny<Exception>(() => ml.Model.Load(zip, out _));
        var chain = BadFiles.Chain(e).ToList();
        var clear = chain.FirstOrDefault(x => x is InvalidDataException or FormatException) ?? e;
        return (string.Join(" | ", chain.Select(x => $"{x.GetType().Name}: {x.Message}")), clear);
    }

    private static string ModelKey(string zip, string weightsEntry)
    {
        string entry = BadFiles.EntryName(zip, weightsEntry);
        return entry[..(entry.Length - weightsEntry.Length)] + "Model.key";
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.97)]
    [InlineData(0.0)]
    public void Truncated_zip_fails_as_a_format_error_from_mlnet(double keep)
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        var bytes = File.ReadAllBytes(SaveTextEmbed(ml, dir.File("m.zip")));
        File.WriteAllBytes(dir.File("cut.zip"), bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
        // ML.NET opens the zip before any loader of ours runs: its FormatException wraps .NET's InvalidDataException.
        var e = Assert.Throws<FormatException>(() => ml.Model.Load(dir.File("cut.zip"), out _));
        Assert.Contains("Failed to open a zip archive", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Theory]
    [InlineData("TextEncoder.bin")]
    [InlineData("ImageEncoder.bin")]
    [InlineData("Vocabulary.bin")]
    public void Zip_missing_an_entry_names_the_entry(string entry)
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"));
        BadFiles.ReplaceEntry(zip, BadFiles.EntryName(zip, entry), null);
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains($"no entry '{entry}' for TextEmbedTransformer", clear.Message);
        Assert.Contains("save the model again", clear.Message);
    }

    [Fact]
    public void Flipped_bytes_in_the_stored_weights_are_caught_by_the_zip_checks()
    {
        // Damage as a disk or a download does it: bytes of the file change, the zip's sizes and CRC-32 do not.
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"));
        string entry = BadFiles.EntryName(zip, "TextEncoder.bin");
        long offset, length;
        using (var archive = ZipFile.OpenRead(zip))
        {
            var e = archive.GetEntry(entry)!;
            length = e.CompressedLength;
        }
        var bytes = File.ReadAllBytes(zip);
        // The entry's data follows its local header: find the header by name.
        var name = System.Text.Encoding.UTF8.GetBytes(entry);
        int at = bytes.AsSpan().IndexOf(name);
        offset = at + name.Length + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at - 2));
        for (int k = 0; k < 4; k++) bytes[offset + length / 2 + k] ^= 0x5A;
        File.WriteAllBytes(zip, bytes);
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains("TextEncoder.bin", clear.Message);
        Assert.True(clear.Message.Contains("fails its CRC-32 check", StringComparison.Ordinal) || clear.Message.Contains("cannot be decompressed", StringComparison.Ordinal), all);
    }

    [Fact]
    public void Consistently_rewritten_weight_values_load_as_a_different_model()
    {
        // A zip rewritten with changed weight values (sizes and CRC-32 recomputed) is a valid, different model: there is
        // no signature over the weights. Documented: keep model files where only you can write them.
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"));
        var original = Sentence(ml, ml.Model.Load(zip, out _));
        string entry = BadFiles.EntryName(zip, "TextEncoder.bin");
        var weights = BadFiles.ReadEntry(zip, entry);
        for (int k = weights.Length - 64; k < weights.Length; k += 4) weights[k + 3] ^= 0x01;   // low-order changes in the last values
        BadFiles.ReplaceEntry(zip, entry, weights);
        var changed = Sentence(ml, ml.Model.Load(zip, out _));
        Assert.NotEqual(original, changed);
    }

    [Fact]
    public void Flipped_bytes_in_the_weights_header_name_the_entry()
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"));
        string entry = BadFiles.EntryName(zip, "TextEncoder.bin");
        var weights = BadFiles.ReadEntry(zip, entry);
        for (int k = 0; k < 24; k++) weights[k] ^= 0xFF;                     // the parameter count and first name
        BadFiles.ReplaceEntry(zip, entry, weights);
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains("TextEncoder.bin", clear.Message);
    }

    [Fact]
    public void Weights_of_the_wrong_shape_name_the_entry_and_the_cause()
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"), hidden: 4);
        string other = SaveTextEmbed(ml, dir.File("other.zip"), hidden: 6);
        string entry = BadFiles.EntryName(zip, "TextEncoder.bin");
        BadFiles.ReplaceEntry(zip, entry, BadFiles.ReadEntry(other, BadFiles.EntryName(other, "TextEncoder.bin")));
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains("'TextEncoder.bin' do not fit TextEmbedTransformer's network", clear.Message);
    }

    [Fact]
    public void Zip_from_a_newer_version_says_to_update()
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"));
        string key = ModelKey(zip, "TextEncoder.bin");
        var header = BadFiles.ReadEntry(zip, key);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(0x48));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x48), version + 0x100);   // written by a newer build ...
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x4C), version + 0x100);   // ... that older builds cannot read
        BadFiles.ReplaceEntry(zip, key, header);
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains("reads up to", clear.Message);
        Assert.Contains("Update the Microsoft.ML.MirrorGan packages", clear.Message);
    }

    [Fact]
    public void A_size_out_of_range_in_the_options_fails_before_any_network_is_built()
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"), hidden: 4);
        string key = ModelKey(zip, "TextEncoder.bin");
        var bytes = BadFiles.ReadEntry(zip, key);
        // The model block (header field FpModel at 0x10): five column-name string ids, the image-column flag, then
        // MaxWords, ImageSize, EmptyCaption, EmbeddingSize, HiddenSize.
        int model = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0x10));
        Assert.Equal(0, bytes[model + 20]);                                   // no image column
        Assert.Equal(6, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(model + 21)));
        Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(model + 37)));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(model + 37), 1_000_000_000);   // a 16 EB LSTM if it were built
        BadFiles.ReplaceEntry(zip, key, bytes);
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains("HiddenSize = 1000000000 is outside [1, 16384]; the model file is damaged", clear.Message);
    }

    [Fact]
    public void Another_mlnet_transformer_where_ours_is_expected_is_named()
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        var data = StemTestData.Captions(ml, "a");
        ml.Model.Save(ml.Transforms.CopyColumns("Copy", "Caption").Fit(data), data.Schema, dir.File("copy.zip"));

        var classifier = Assert.Throws<InvalidDataException>(() => FashionMnistClassifier.Load(ml, dir.File("copy.zip")));
        Assert.Contains("not a FashionMnistClassifier", classifier.Message);
        var export = Assert.Throws<ArgumentException>(() => ml.Model.ExportMirrorGanToOnnx(dir.File("copy.zip"), dir.File("onnx")));
        Assert.Contains("no MirrorGAN part", export.Message);
    }

    [Fact]
    public void Our_transformer_loaded_as_the_wrong_type_is_named()
    {
        var ml = new MLContext(1);
        using var dir = TestPaths.NewTempDir();
        string zip = SaveTextEmbed(ml, dir.File("m.zip"));
        var e = Assert.Throws<InvalidDataException>(() => FashionMnistClassifier.Load(ml, zip));
        Assert.Contains("holds a TextEmbedTransformer, not a FashionMnistClassifier", e.Message);

        // A header that sends our loader the wrong kind of model: the TextEmbed zip relabelled for the captioner's loader.
        string key = ModelKey(zip, "TextEncoder.bin");
        var header = BadFiles.ReadEntry(zip, key);
        var loader = new byte[24];
        System.Text.Encoding.ASCII.GetBytes(StreamCaptionerTransformer.LoaderSignature).CopyTo(loader, 0);
        loader.CopyTo(header, 0x50);
        BadFiles.ReplaceEntry(zip, key, header);
        var (all, clear) = LoadFails(ml, zip);
        Assert.IsType<InvalidDataException>(clear);
        Assert.Contains("not StreamCaptionerTransformer", clear.Message);
    }

    // ---- ONNX graphs ----

    private TestPaths.TempDir CopyExport()
    {
        var dir = TestPaths.NewTempDir();
        foreach (var f in Directory.GetFiles(_onnx.Folder.Path)) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        return dir;
    }

    [Fact]
    public void Onnx_graph_with_a_changed_weight_is_refused_by_the_manifest_hash()
    {
        // ONNX has no checksum: without the manifest's SHA-256 a flipped weight bit loads and serves other images.
        using var dir = CopyExport();
        var bytes = File.ReadAllBytes(dir.File("generator.onnx"));
        bytes[bytes.Length - 100] ^= 0x01;
        File.WriteAllBytes(dir.File("generator.onnx"), bytes);
        var e = Assert.Throws<InvalidDataException>(() => MirrorGanOnnxTextToImage.Open(dir.Path));
        Assert.Contains("generator.onnx", e.Message);
        Assert.Contains("does not match the SHA-256 in mirrorgan.onnx.json", e.Message);
    }

    [Theory]
    [InlineData("text_encoder.onnx", 0.5)]
    [InlineData("text_encoder.onnx", 0.99)]
    [InlineData("generator.onnx", 0.3)]
    [InlineData("stream_decoder_step.onnx", 0.8)]
    public void Truncated_onnx_graph_fails_naming_the_file(string file, double keep)
    {
        using var dir = CopyExport();
        var bytes = File.ReadAllBytes(dir.File(file));
        File.WriteAllBytes(dir.File(file), bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
        void Open()
        {
            if (file.StartsWith("stream", StringComparison.Ordinal)) MirrorGanOnnxCaptioner.Open(dir.Path).Dispose();
            else MirrorGanOnnxTextToImage.Open(dir.Path).Dispose();
        }
        var e = Assert.Throws<InvalidDataException>(Open);
        Assert.Contains(file, e.Message);
        Assert.Contains("does not match the SHA-256", e.Message);
        Assert.Contains("export the model again", e.Message);

        // Without the hashes (older exports) ONNX Runtime parses the cut file and refuses it.
        var manifest = MirrorGanOnnxManifest.Load(dir.Path);
        manifest.Sha256 = null;
        manifest.Save(dir.Path);
        e = Assert.Throws<InvalidDataException>(Open);
        Assert.Contains(file, e.Message);
        Assert.Contains("export the model again", e.Message);
    }

    [Fact]
    public void Onnx_graph_with_other_input_types_fails_at_open_naming_the_input()
    {
        using var dir = CopyExport();
        // Right names, wrong element types: token_ids as float, lengths as int64.
        var g = new OnnxGraphBuilder("wrong");
        var ids = g.Input("token_ids", DataType.Float, "batch", "words");
        var lengths = g.Input("lengths", DataType.Int64, "batch");
        g.Output(g.Node("Identity", new[] { ids }), "word_features", DataType.Float, "batch", "words");
        g.Output(g.Node("Cast", new[] { lengths }, OnnxGraphBuilder.Attr("to", (long)DataType.Bool)), "pad_mask", DataType.Bool, "batch");
        g.Output(g.Node("Identity", new[] { ids }), "sentence_feature", DataType.Float, "batch", "words");
        File.WriteAllBytes(dir.File("text_encoder.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(g.Build("test")));
        Assert.Contains("does not match the SHA-256", Assert.Throws<InvalidDataException>(() => MirrorGanOnnxTextToImage.Open(dir.Path)).Message);
        var manifest = MirrorGanOnnxManifest.Load(dir.Path);                 // an export without hashes: the signature check
        manifest.Sha256 = null;
        manifest.Save(dir.Path);
        var e = Assert.ThrowsAny<Exception>(() =>
        {
            using var m = MirrorGanOnnxTextToImage.Open(dir.Path);
            m.Generate(new[] { "a red bar" });
        });
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains("text_encoder.onnx", e.Message);
        Assert.Contains("'token_ids' as float with 2 dimensions where the manifest says int64", e.Message);
        Assert.Contains("export the model again", e.Message);
    }
}
