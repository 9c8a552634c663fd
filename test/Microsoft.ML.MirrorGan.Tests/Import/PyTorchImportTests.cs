using System.Text.Json;
using Microsoft.ML.MirrorGan.Import;
using Microsoft.ML.MirrorGan.TextEmbed;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Import;

/// <summary>Imported networks reproduce the outputs of the PyTorch reference built from the authors' published definitions (fixtures/make_fixtures.py).</summary>
public class PyTorchImportTests
{
    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("PyTorch/expected.json"))).RootElement);
    private readonly ITestOutputHelper _output;

    public PyTorchImportTests(ITestOutputHelper output) => _output = output;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private double AssertClose(string what, float[] expected, Tensor actual, int stride = 1)
    {
        var values = actual.detach().contiguous().cpu().data<float>().ToArray().Where((_, i) => i % stride == 0).ToArray();
        Assert.Equal(expected.Length, values.Length);
        double diff = expected.Zip(values, (a, b) => Math.Abs(a - b)).Max();
        _output.WriteLine($"{what}: max |imported − PyTorch| = {diff:E2}");
        Assert.True(diff < 1e-4, $"{what}: max difference {diff:E2} exceeds 1e-4");
        return diff;
    }

    [Theory]
    [InlineData("text_encoder_legacy.pth")]
    [InlineData("text_encoder_zip.pth")]
    public void Text_encoder_matches_the_reference(string file)
    {
        using var scope = NewDisposeScope();
        var e = Expected.Value.GetProperty("text");
        var encoder = PyTorchImport.LoadTextEncoder(TestPaths.Fixture("PyTorch/" + file));
        var ids = tensor(e.GetProperty("ids").EnumerateArray().SelectMany(Longs).ToArray(), new long[] { 3, 5 });
        var lengths = tensor(Longs(e.GetProperty("lengths")));
        using var noGrad = no_grad();
        var (words, sentence) = encoder.call(ids, lengths);
        Assert.Equal(Longs(e.GetProperty("words_shape")), words.shape);
        AssertClose($"{file} words", Floats(e.GetProperty("words")), words);
        AssertClose($"{file} sentence", Floats(e.GetProperty("sentence")), sentence);
    }

    [Fact]
    public void Generator_matches_the_reference_with_the_mask_bug()
    {
        using var scope = NewDisposeScope();
        var e = Expected.Value.GetProperty("generator");
        var imported = PyTorchImport.LoadGenerator(TestPaths.Fixture("PyTorch/netG_legacy.pth"));
        Assert.Equal(3, imported.Options.Stages);
        Assert.Equal(2, imported.Options.GeneratorDim);
        Assert.Equal(1, imported.Options.ResidualBlocks);
        Assert.True(imported.Options.ReproduceAttnGanMaskBug);
        using var noGrad = no_grad();
        var (_, mu, logVar) = imported.Conditioning.call(tensor(Floats(e.GetProperty("sentence")), new long[] { 2, 10 }));
        AssertClose("CA mu", Floats(e.GetProperty("mu")), mu);
        AssertClose("CA logvar", Floats(e.GetProperty("logvar")), logVar);
        var mask = tensor(e.GetProperty("mask").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetBoolean())).ToArray(), new long[] { 2, 4 });
        var output = imported.Generator.call(tensor(Floats(e.GetProperty("z")), new long[] { 2, 4 }), mu,
            tensor(Floats(e.GetProperty("words")), new long[] { 2, 10, 4 }), mask);
        var strides = e.GetProperty("strides").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        AssertClose("image 64", Floats(e.GetProperty("img64")), output.Images[0], strides[0]);
        AssertClose("image 128", Floats(e.GetProperty("img128")), output.Images[1], strides[1]);
        AssertClose("image 256", Floats(e.GetProperty("img256")), output.Images[2], strides[2]);
        AssertClose("attention 64", Floats(e.GetProperty("att64")), output.Attention[0], strides[3]);
        AssertClose("attention 128", Floats(e.GetProperty("att128")), output.Attention[1], strides[4]);
    }

    [Fact]
    public void Generator_imports_as_a_MirrorGanTransformer_that_matches_the_reference_and_saves()
    {
        using var scope = NewDisposeScope();
        var e = Expected.Value.GetProperty("generator");
        var ml = new MLContext(seed: 1);
        var transformer = PyTorchImport.LoadMirrorGan(ml, TestPaths.Fixture("PyTorch/netG_legacy.pth"), maxWords: 4);
        Assert.Equal(256, transformer.ImageSize);
        using var noGrad = no_grad();
        var mask = tensor(e.GetProperty("mask").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetBoolean())).ToArray(), new long[] { 2, 4 });
        var z = tensor(Floats(e.GetProperty("z")), new long[] { 2, 4 });
        var sentence = tensor(Floats(e.GetProperty("sentence")), new long[] { 2, 10 });
        var words = tensor(Floats(e.GetProperty("words")), new long[] { 2, 10, 4 });
        // The reference generates from c_code = μ, i.e. CA noise ε = 0.
        var output = transformer.Generator.Generate(z, zeros(2, transformer.Generator.Options.ConditionDim), sentence, words, mask).Output;
        var strides = e.GetProperty("strides").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        AssertClose("image 256", Floats(e.GetProperty("img256")), output.Images[2], strides[2]);

        using var dir = TestPaths.NewTempDir();
        var schema = ml.Data.LoadFromEnumerable(new[] { new { X = 1f } }).Schema;
        ml.Model.Save(transformer, schema, dir.File("imported.zip"));
        var loaded = (Microsoft.ML.MirrorGan.Glam.MirrorGanTransformer)ml.Model.Load(dir.File("imported.zip"), out _);
        var again = loaded.Generator.Generate(z, zeros(2, loaded.Generator.Options.ConditionDim), sentence, words, mask).Output;
        Assert.True(again.Images[2].allclose(output.Images[2], 0, 0));
    }

    [Fact]
    public void Stream_encoder_and_decoder_match_the_reference()
    {
        using var scope = NewDisposeScope();
        var e = Expected.Value.GetProperty("stream");
        var encoder = PyTorchImport.LoadStreamEncoder(TestPaths.Fixture("PyTorch/caption_cnn_legacy.pth"));
        Assert.Equal("resnet:bottleneck:2:1-1-1-1:224", encoder.Backbone.Kind);
        var decoder = PyTorchImport.LoadStreamDecoder(TestPaths.Fixture("PyTorch/caption_rnn_zip.pth"));
        using var noGrad = no_grad();
        var features = encoder.call(tensor(Floats(e.GetProperty("images")), Longs(e.GetProperty("images_shape"))));
        AssertClose("STREAM features", Floats(e.GetProperty("features")), features);
        var tokens = tensor(e.GetProperty("tokens").EnumerateArray().SelectMany(Longs).ToArray(), new long[] { 2, 3 });
        var logits = decoder.TeacherForced(features, tokens);
        Assert.Equal(Longs(e.GetProperty("logits_shape")), logits.shape);
        AssertClose("STREAM logits", Floats(e.GetProperty("logits")), logits);
    }

    [Fact]
    public void Imported_transformers_save_and_load_as_mlnet_zips()
    {
        var ml = new MLContext(seed: 0);
        string pickle = TestPaths.Fixture("PyTorch/captions.pickle");
        var stem = PyTorchImport.LoadTextEmbed(ml, TestPaths.Fixture("PyTorch/text_encoder_legacy.pth"), pickle, maxWords: 6);
        var captioner = PyTorchImport.LoadStreamCaptioner(ml, TestPaths.Fixture("PyTorch/caption_cnn_legacy.pth"),
            TestPaths.Fixture("PyTorch/caption_rnn_zip.pth"), pickle, imageSize: 32, maxWords: 5);
        captioner.EnsureCompatibleWith(stem.Vocabulary);
        var data = ml.Data.LoadFromEnumerable(new[] { new CaptionRow { Caption = "a small bird with red wings" } });
        using var dir = TestPaths.NewTempDir();
        ml.Model.Save(stem, data.Schema, dir.File("stem.zip"));
        var loaded = (TextEmbedTransformer)ml.Model.Load(dir.File("stem.zip"), out _);
        var before = stem.EncodeCaptions(new[] { "a small bird with red wings" });
        var after = loaded.EncodeCaptions(new[] { "a small bird with red wings" });
        Assert.Equal(before.SentenceFeatures[0], after.SentenceFeatures[0]);
        Assert.False(loaded.Vocabulary.HasUnknownToken);
        ml.Model.Save(captioner, null, dir.File("stream.zip"));
        var loadedCaptioner = (Microsoft.ML.MirrorGan.StreamCaptioner.StreamCaptionerTransformer)ml.Model.Load(dir.File("stream.zip"), out _);
        Assert.Equal(captioner.Vocabulary, loadedCaptioner.Vocabulary);
    }

    [Fact]
    public void A_checkpoint_of_the_wrong_network_names_the_missing_entry()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadGenerator(TestPaths.Fixture("PyTorch/text_encoder_zip.pth")));
        Assert.Contains("ca_net.fc.weight", ex.Message);
        Assert.Contains("text_encoder_zip.pth", ex.Message);
    }

    private sealed class CaptionRow
    {
        public string Caption { get; set; } = "";
    }
}
