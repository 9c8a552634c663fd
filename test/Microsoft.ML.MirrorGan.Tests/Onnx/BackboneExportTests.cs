using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Import;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using Microsoft.ML.MirrorGan.Onnx.Import;
using Microsoft.ML.MirrorGan.TextEmbed;
using SkiaSharp;
using Xunit.Abstractions;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using static Microsoft.ML.MirrorGan.Tests.Onnx.OrtTestRun;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>
/// ONNX export of the pretrained trunks (frozen ResNets with basic/bottleneck blocks and torchvision or CNTK padding,
/// ML.NET's ResNet-18 with its mean-image preprocessing, AttnGAN's Inception-v3) through the STREAM encoder and the DAMSM
/// image encoder: ONNX Runtime equals TorchSharp, and onnx.checker accepts the files.
/// </summary>
public class BackboneExportTests
{
    private const float Tolerance = 1e-4f;
    private readonly ITestOutputHelper _output;

    public BackboneExportTests(ITestOutputHelper output) => _output = output;

    /// <summary>He-scaled random conv weights and random BatchNorm statistics for a frozen trunk (its tensors are buffers).</summary>
    internal static void RandomiseFrozen(nn.Module root, int seed)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (_, m) in root.named_modules())
        {
            var buffers = m.named_buffers(recurse: false).ToDictionary(b => b.name, b => b.buffer);
            if (m is FrozenConv2d or FrozenRectConv2d)
            {
                var w = buffers["weight"];
                w.copy_(randn(w.shape) * Math.Sqrt(2.0 / (w.shape[1] * w.shape[2] * w.shape[3])));
            }
            else if (m is FrozenBatchNorm2d)
            {
                buffers["weight"].copy_(randn(buffers["weight"].shape) * 0.2f + 1f);
                buffers["bias"].copy_(randn(buffers["bias"].shape) * 0.2f);
                buffers["running_mean"].copy_(randn(buffers["running_mean"].shape) * 0.2f);
                buffers["running_var"].copy_(rand(buffers["running_var"].shape) + 0.5f);
            }
        }
    }

    private float Check(string what, (float[] Values, int[] Shape) onnx, Tensor expected)
    {
        float d = MaxDiff(onnx, expected);
        float scale = expected.abs().max().item<float>();
        Record(what, d);
        _output.WriteLine($"{what}: max |ORT − TorchSharp| = {d:E2} (largest |value| {scale:F3})");
        Assert.True(d <= Tolerance, $"{what} differs by {d}");
        return d;
    }

    public static TheoryData<string, int> ResNets => new()
    {
        { "basic torchvision", 2 },
        { "bottleneck torchvision", 1 },
        { "basic cntk", 2 },
    };

    [Theory]
    [MemberData(nameof(ResNets))]
    public void Frozen_resnet_trunks_export_with_the_stream_encoder(string variant, int batch)
    {
        using var scope = NewDisposeScope();
        var layout = variant switch
        {
            "basic torchvision" => new ResNetLayout(false, 4, new[] { 1, 2, 1, 1 }),
            "bottleneck torchvision" => new ResNetLayout(true, 2, new[] { 1, 2, 1, 1 }),
            _ => new ResNetLayout(false, 4, new[] { 2, 2, 2, 3 }, ResNetPadding.Cntk),  // the shape of ML.NET's ResNet-18, narrow
        };
        var backbone = new ResNetBackbone(layout, ResNetPreprocessing.ResizeOnly, 64);
        RandomiseFrozen(backbone, 21);
        using var net = new StreamCaptionNet(backbone, vocabularySize: 11, embedSize: 8, hiddenSize: 6, regionGrid: 2);
        RandomiseBatchNorms(net, 22);
        net.eval();
        var images = rand(batch, 3, 48, 48) * 2 - 1;                 // 48 → 64 inside (bilinear), as the module does
        Tensor want;
        using (no_grad()) want = net.Encoder.call(images);
        var bytes = StreamOnnxExporter.ExportEncoder(net.Encoder, 48);
        Check($"resnet {variant} stream_encoder b{batch} {ImageFeature}", Run(bytes, Float(CaptionImage, images))[ImageFeature], want);
        using var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(dir.File("encoder.onnx"), bytes);
        OnnxProcessTests.Check(dir.File("encoder.onnx"));
    }

    [Fact]
    public void Folding_batch_norm_into_the_convolution_keeps_the_output()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var conv = nn.Conv2d(5, 7, 3, padding: 1, bias: true);
        using var bn = nn.BatchNorm2d(7);
        RandomiseBatchNorms(bn, 4);
        conv.eval();
        bn.eval();
        var x = randn(2, 5, 9, 9);
        Tensor want;
        using (no_grad()) want = bn.call(conv.call(x));
        var g = new OnnxGraphBuilder("fold");
        string input = g.Input("x", Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType.Float, 2, 5, 9, 9);
        g.Output(TorchOnnxOps.ConvBatchNorm(g, conv, bn, input, 1, 1), "y", Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType.Float, 2, 7, 9, 9);
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(g.Build("test"));
        Check("conv+bn folded", Run(bytes, Float("x", x))["y"], want);
    }

    private static Tensor Photos(params string[] names)
    {
        var planes = new List<float>();
        foreach (var name in names)
        {
            using var bitmap = SKBitmap.Decode(TestPaths.Fixture(Path.Combine("Photos", name)));
            var rgb = new float[3 * 224 * 224];
            for (int y = 0; y < 224; y++)
                for (int x = 0; x < 224; x++)
                {
                    var c = bitmap.GetPixel(x, y);
                    int i = y * 224 + x;
                    (rgb[i], rgb[224 * 224 + i], rgb[2 * 224 * 224 + i]) = (c.Red / 127.5f - 1f, c.Green / 127.5f - 1f, c.Blue / 127.5f - 1f);
                }
            planes.AddRange(rgb);
        }
        return tensor(planes.ToArray(), new long[] { names.Length, 3, 224, 224 });
    }

    [Fact]
    public void StreamCaptioner_on_MLNET_ResNet18_exports_and_matches_on_real_photos()
    {
        using var scope = NewDisposeScope();
        var ml = new MLContext(seed: 1);
        var backbone = ResNet18FromOnnx.Load();
        var net = new StreamCaptionNet(backbone, vocabularySize: 9, embedSize: 8, hiddenSize: 6, regionGrid: 2);
        RandomiseBatchNorms(net, 23);
        net.eval();
        var vocabulary = new Microsoft.ML.MirrorGan.Text.Vocabulary(new[] { "<end>", "<unk>", "a", "bird", "cat", "cup", "man", "red", "on" }, hasUnknownToken: true);
        var captioner = new StreamCaptionerTransformer(ml, net, vocabulary, "Image", "GeneratedCaption", "CaptionScore", 224, maxWords: 4, beamWidth: 1);
        using var dir = TestPaths.NewTempDir();
        var manifest = captioner.ExportToOnnx(dir.Path);
        Assert.Equal("resnet18-imagenet", manifest.Captioner!.Backbone);
        var images = Photos("astronaut.jpg", "coffee.jpg", "chelsea.jpg");
        Tensor want;
        using (no_grad()) want = net.Encoder.call(images);
        string encoder = Path.Combine(dir.Path, CaptionEncoderFile);
        Check($"resnet18-imagenet stream_encoder photos b3 {ImageFeature}", Run(File.ReadAllBytes(encoder), Float(CaptionImage, images))[ImageFeature], want);
        OnnxProcessTests.Check(encoder);

        // The same frozen trunk in the DAMSM image encoder: stage-3 regions (256×14×14) and the pooled stage 4.
        using var damsm = new DamsmImageEncoder(backbone, 16);
        damsm.eval();
        var bytes = DamsmOnnxExporter.Export(damsm, 224);
        Tensor regions, code;
        using (no_grad()) (regions, code) = damsm.call(images);
        var got = Run(bytes, Float(CaptionImage, images));
        Assert.Equal(new[] { 3, 16, 196 }, got[RegionFeatures].Shape);
        Check($"resnet18-imagenet image_encoder photos b3 {RegionFeatures}", got[RegionFeatures], regions);
        Check($"resnet18-imagenet image_encoder photos b3 {ImageCode}", got[ImageCode], code);
    }

    [Fact]
    public void DAMSM_image_encoder_on_a_flat_global_small_cnn_exports_and_matches()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var damsm = new DamsmImageEncoder(new SmallCnnBackbone(32, 4, flatGlobal: true), 10);
        RandomiseBatchNorms(damsm, 22);
        damsm.eval();
        var images = rand(3, 3, 48, 48) * 2 - 1; // resized inside, as the trunk does
        Tensor regions, code;
        using (no_grad()) (regions, code) = damsm.call(images);
        var got = Run(DamsmOnnxExporter.Export(damsm, 48), Float(CaptionImage, images));
        Check($"small-cnn flat image_encoder b3 {RegionFeatures}", got[RegionFeatures], regions);
        Check($"small-cnn flat image_encoder b3 {ImageCode}", got[ImageCode], code);
    }

    [Fact]
    public void Imported_captioner_with_a_bottleneck_resnet_exports_and_matches()
    {
        using var scope = NewDisposeScope();
        var ml = new MLContext(seed: 0);
        var captioner = PyTorchImport.LoadStreamCaptioner(ml, TestPaths.Fixture("PyTorch/caption_cnn_legacy.pth"),
            TestPaths.Fixture("PyTorch/caption_rnn_zip.pth"), TestPaths.Fixture("PyTorch/captions.pickle"), imageSize: 32, maxWords: 5);
        using var dir = TestPaths.NewTempDir();
        var manifest = captioner.ExportToOnnx(dir.Path);
        Assert.StartsWith("resnet:bottleneck:", manifest.Captioner!.Backbone);
        manual_seed(5);
        var images = rand(2, 3, 32, 32) * 2 - 1;
        var net = captioner.Network;
        using var noGrad = no_grad();
        var feature = net.Encoder.call(images);
        Check($"imported {manifest.Captioner.Backbone} stream_encoder b2 {ImageFeature}",
            Run(File.ReadAllBytes(Path.Combine(dir.Path, CaptionEncoderFile)), Float(CaptionImage, images))[ImageFeature], feature);
        var (logProbs, _) = net.Decoder.Step(feature, null);
        long hidden = net.Decoder.HiddenSize;
        var got = Run(File.ReadAllBytes(Path.Combine(dir.Path, CaptionDecoderFile)), Int64(Token, new[] { -1L, -1L }, 2), Float(ImageFeature, feature),
            Float(StateH, zeros(1, 2, hidden)), Float(StateC, zeros(1, 2, hidden)));
        Check($"imported stream_decoder_step b2 {LogProbs} step0", got[LogProbs], logProbs);
        foreach (var f in Directory.GetFiles(dir.Path, "*.onnx")) OnnxProcessTests.Check(f);
    }

    [Fact]
    public void Imported_DAMSM_image_encoder_with_InceptionV3_exports_and_matches()
    {
        using var scope = NewDisposeScope();
        var ml = new MLContext(seed: 0);
        var stem = PyTorchImport.LoadTextEmbed(ml, TestPaths.Fixture("PyTorch/text_encoder_legacy.pth"), TestPaths.Fixture("PyTorch/captions.pickle"),
            maxWords: 6, imageEncoderPath: TestPaths.Fixture("PyTorch/image_encoder_legacy.pth"), imageSize: 64);
        using var dir = TestPaths.NewTempDir();
        var manifest = stem.ExportToOnnx(dir.Path, imageEncoder: true);
        Assert.NotNull(manifest.TextEncoder);
        var entry = Assert.IsType<ImageEncoderManifest>(manifest.ImageEncoder);
        Assert.Equal("inception-v3:16", entry.Backbone);
        Assert.Equal(64, entry.ImageSize);
        Assert.Equal(new[] { "batch", "10", "289" }, entry.Outputs.Single(o => o.Name == RegionFeatures).Shape);
        // A deterministic image with structure (Inception's BatchNorm statistics were calibrated on such inputs).
        var grid = arange(64).to_type(ScalarType.Float32);
        var images = stack(new[] { sin(grid * 0.37f).unsqueeze(1) * cos(grid * 0.61f).unsqueeze(0), cos(grid * 0.23f).unsqueeze(1) + zeros(64), sin(grid * 0.11f + 1).unsqueeze(0) + zeros(64, 1) })
            .unsqueeze(0).clamp(-1, 1);
        var encoder = stem.ImageEncoder;
        using var noGrad = no_grad();
        var (regions, code) = encoder.call(images);
        string file = Path.Combine(dir.Path, ImageEncoderFile);
        var got = Run(File.ReadAllBytes(file), Float(CaptionImage, images));
        Check($"imported inception-v3:16 image_encoder b1 {RegionFeatures}", got[RegionFeatures], regions);
        Check($"imported inception-v3:16 image_encoder b1 {ImageCode}", got[ImageCode], code);
        OnnxProcessTests.Check(file);
        // Without the flag, no image encoder is written (captions-only imports hold an untrained placeholder).
        using var other = TestPaths.NewTempDir();
        Assert.Null(stem.ExportToOnnx(other.Path).ImageEncoder);
        Assert.False(File.Exists(Path.Combine(other.Path, ImageEncoderFile)));
    }
}
