using System.Text.Json;
using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Import;
using Microsoft.ML.MirrorGan.TextEmbed;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Import;

/// <summary>
/// The DAMSM image encoder (CNN_ENCODER, Inception-v3) and the discriminators (D_NET128/256) imported from the
/// PyTorch reference built from the authors' published definitions (fixtures/make_fixtures.py) reproduce its outputs.
/// </summary>
public class PyTorchImportImageTests
{
    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("PyTorch/expected.json"))).RootElement);
    private readonly ITestOutputHelper _output;

    public PyTorchImportImageTests(ITestOutputHelper output) => _output = output;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    /// <summary>make_fixtures.py's <c>pattern</c>: a deterministic image in [−1, 1], computed in double, then rounded to float.</summary>
    private static Tensor Pattern(int b, int c, int h, int w)
    {
        var v = new float[b * c * h * w];
        int i = 0;
        for (int n = 0; n < b; n++)
            for (int k = 0; k < c; k++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        v[i++] = (float)(Math.Sin(0.37 * x + 0.61 * y + 1.3 * k + 2.1 * n) * Math.Cos(0.011 * x * y + 0.7 * k));
        return tensor(v, new long[] { b, c, h, w });
    }

    private double AssertClose(string what, float[] expected, Tensor actual, int stride = 1)
    {
        var values = actual.detach().contiguous().cpu().data<float>().ToArray().Where((_, i) => i % stride == 0).ToArray();
        Assert.Equal(expected.Length, values.Length);
        double diff = expected.Zip(values, (a, b) => Math.Abs(a - b)).Max();
        _output.WriteLine($"{what}: max |imported − PyTorch| = {diff:E2} (largest |value| {expected.Max(Math.Abs):F3})");
        Assert.True(diff < 1e-4, $"{what}: max difference {diff:E2} exceeds 1e-4");
        return diff;
    }

    [Fact]
    public void Image_encoder_matches_the_reference()
    {
        using var scope = NewDisposeScope();
        var e = Expected.Value.GetProperty("image_encoder");
        var encoder = PyTorchImport.LoadImageEncoder(TestPaths.Fixture("PyTorch/image_encoder_legacy.pth"));
        var backbone = Assert.IsType<InceptionV3Backbone>(encoder.Backbone);
        Assert.Equal("inception-v3:16", backbone.Kind);
        Assert.Equal(768 / 16, backbone.RegionChannels);
        Assert.Equal(2048 / 16, backbone.GlobalChannels);
        Assert.Empty(backbone.parameters());                     // frozen by construction: only buffers
        Assert.Equal(10, encoder.FeatureSize);
        var shape = Longs(e.GetProperty("images_shape"));
        var (regions, code) = encoder.call(Pattern((int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]));
        var regionShape = Longs(e.GetProperty("regions_shape"));
        Assert.Equal(new[] { regionShape[0], regionShape[1], regionShape[2] * regionShape[3] }, regions.shape);
        AssertClose("regions (Mixed_6e → emb_features)", Floats(e.GetProperty("regions")), regions, e.GetProperty("regions_stride").GetInt32());
        AssertClose("cnn_code (Mixed_7c → pool → emb_cnn_code)", Floats(e.GetProperty("cnn_code")), code);
    }

    [Theory]
    [InlineData("netD128_legacy.pth", 128)]
    [InlineData("netD128_zip.pth", 128)]
    [InlineData("netD256_legacy.pth", 256)]
    public void Discriminator_matches_the_reference(string file, int size)
    {
        using var scope = NewDisposeScope();
        var e = Expected.Value.GetProperty($"netD{size}");
        var d = PyTorchImport.LoadDiscriminator(TestPaths.Fixture("PyTorch/" + file), size);
        using var noGrad = no_grad();
        var features = d.call(Pattern(2, 3, size, size));
        Assert.Equal(Longs(e.GetProperty("features_shape")), features.shape);
        AssertClose($"{file} features", Floats(e.GetProperty("features")), features);
        AssertClose($"{file} unconditional", Floats(e.GetProperty("uncond")), d.Unconditional(features).sigmoid()); // the original ends in a sigmoid
        AssertClose($"{file} conditional", Floats(e.GetProperty("cond")), d.Conditional(features, tensor(Floats(e.GetProperty("sentence")), new long[] { 2, 10 })).sigmoid());
    }

    [Fact]
    public void A_discriminator_of_another_size_is_refused_with_the_file_and_the_size_found()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadDiscriminator(TestPaths.Fixture("PyTorch/netD256_legacy.pth"), 64));
        Assert.Contains("netD256_legacy.pth", ex.Message);
        Assert.Contains("D_NET256", ex.Message);
        var wrong = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadImageEncoder(TestPaths.Fixture("PyTorch/netD128_zip.pth")));
        Assert.Contains("Conv2d_1a_3x3.conv.weight", wrong.Message);
    }

    [Fact]
    public void An_imported_text_embed_maps_images_and_survives_saving()
    {
        var ml = new MLContext(seed: 0);
        var stem = PyTorchImport.LoadTextEmbed(ml, TestPaths.Fixture("PyTorch/text_encoder_zip.pth"), TestPaths.Fixture("PyTorch/captions.pickle"),
            maxWords: 6, imageEncoderPath: TestPaths.Fixture("PyTorch/image_encoder_legacy.pth"), imageSize: 64);
        Assert.Equal("inception-v3:16", stem.ImageEncoder.Backbone.Kind);
        using var scope = NewDisposeScope();
        var images = Pattern(2, 3, 64, 64);
        var before = stem.EncodeImageTensor(images);
        AssertClose("TextEmbed image features", Floats(Expected.Value.GetProperty("image_encoder").GetProperty("cnn_code")), tensor(before.SelectMany(r => r).ToArray()));
        using var dir = TestPaths.NewTempDir();
        ml.Model.Save(stem, null, dir.File("stem.zip"));
        var loaded = (TextEmbedTransformer)ml.Model.Load(dir.File("stem.zip"), out _);
        Assert.Equal(before[1], loaded.EncodeImageTensor(images)[1]);
    }

    [Fact]
    public void Inception_kinds_are_registered_and_checked()
    {
        using var scope = NewDisposeScope();
        var small = ImageBackbones.Create("inception-v3:16");
        Assert.Equal("inception-v3:16", small.Kind);
        Assert.True(small.IsFrozen);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageBackbones.Create("inception-v3:3"));
        Assert.Throws<InvalidDataException>(() => ImageBackbones.Create("inception-v3:x"));
    }

    [Fact]
    public void The_full_width_trunk_has_the_specified_parameter_counts()
    {
        // Spec §2.1: CNN_ENCODER has 22,506,720 parameters, 721,152 of them trainable (emb_features + emb_cnn_code).
        // Here the trunk's are buffers; running statistics are not parameters in PyTorch's count.
        using var scope = NewDisposeScope();
        var encoder = new DamsmImageEncoder(ImageBackbones.Create("inception-v3"), 256);
        long trunk = encoder.Backbone.named_buffers().Where(b => !b.name.Contains("running_")).Sum(b => b.buffer.numel());
        long trainable = encoder.TrainableParameters.Sum(p => p.numel());
        Assert.Equal((768, 2048), (encoder.Backbone.RegionChannels, encoder.Backbone.GlobalChannels));
        Assert.Equal(721_152, trainable);
        Assert.Equal(22_506_720, trunk + trainable);
    }
}
