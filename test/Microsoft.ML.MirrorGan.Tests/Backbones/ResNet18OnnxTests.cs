using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Onnx.Import;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Microsoft.ML.MirrorGan.Tests.Backbones;

/// <summary>ML.NET's ONNX ResNet-18 converted to TorchSharp, checked against ONNX Runtime on real photos.</summary>
public class ResNet18OnnxTests
{
    private static readonly Lazy<ResNetBackbone> Converted = new(() => ResNet18FromOnnx.Load());
    private readonly ITestOutputHelper _output;

    public ResNet18OnnxTests(ITestOutputHelper output) => _output = output;

    private static float[] PlanarRgb255(string photo)
    {
        using var bitmap = SKBitmap.Decode(TestPaths.Fixture(Path.Combine("Photos", photo)));
        Assert.Equal(224, bitmap.Width);
        Assert.Equal(224, bitmap.Height);
        var planar = new float[3 * 224 * 224];
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++)
            {
                var c = bitmap.GetPixel(x, y);
                int i = y * 224 + x;
                planar[i] = c.Red;
                planar[224 * 224 + i] = c.Green;
                planar[2 * 224 * 224 + i] = c.Blue;
            }
        return planar;
    }

    private static float[] RunOrt(InferenceSession prep, InferenceSession net, float[] rgb255)
    {
        var input = new DenseTensor<float>(rgb255, new[] { 1, 3, 224, 224 });
        using var prepped = prep.Run(new[] { NamedOnnxValue.CreateFromTensor("OriginalInput", input) });
        var bgr = prepped.First().AsTensor<float>().ToDenseTensor();
        using var pooled = net.Run(new[] { NamedOnnxValue.CreateFromTensor("Input247", bgr) });
        return pooled.First().AsEnumerable<float>().ToArray();
    }

    private static Tensor MinusOneToOne(float[] rgb255) => tensor(rgb255.Select(v => v / 127.5f - 1f).ToArray(), new long[] { 1, 3, 224, 224 });

    [Fact]
    public void Converted_backbone_matches_onnx_runtime_on_real_photos()
    {
        using var scope = NewDisposeScope();
        double worst = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var backbone = Converted.Value;
        _output.WriteLine($"conversion {clock.ElapsedMilliseconds} ms");
        string dir = ResNet18FromOnnx.DefaultModelDirectory;
        using var prep = new InferenceSession(Path.Combine(dir, ResNet18FromOnnx.PreprocessFile));
        using var net = new InferenceSession(Path.Combine(dir, ResNet18FromOnnx.NetworkFile));
        _output.WriteLine($"+ ORT sessions {clock.ElapsedMilliseconds} ms");
        foreach (var photo in new[] { "astronaut.jpg", "coffee.jpg", "chelsea.jpg" })
        {
            var rgb = PlanarRgb255(photo);
            var expected = RunOrt(prep, net, rgb);
            using var noGrad = no_grad();
            var (regions, global) = backbone.call(MinusOneToOne(rgb));
            Assert.Equal(new long[] { 1, 256, 14, 14 }, regions.shape);
            var actual = global.data<float>().ToArray();
            Assert.Equal(512, actual.Length);
            double diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
            _output.WriteLine($"{photo}: max |TorchSharp − ORT| = {diff:E2} (feature max {expected.Max():F3})");
            worst = Math.Max(worst, diff);
        }
        _output.WriteLine($"total {clock.ElapsedMilliseconds} ms");
        Assert.True(worst < 1e-4, $"max difference {worst:E2} exceeds 1e-4");
    }

    [Fact]
    public void Pretrained_feature_extractor_gives_the_onnx_pooled_features_in_any_batch_split()
    {
        var photos = new[] { "astronaut.jpg", "coffee.jpg", "chelsea.jpg" };
        var rgb = photos.Select(PlanarRgb255).ToArray();
        var extractor = Microsoft.ML.MirrorGan.Evaluation.PretrainedFeatureExtractors.ResNet18(batchSize: 2); // batches of 2 and 1
        Assert.Equal("resnet18-imagenet:pool5:512", extractor.Name);
        var features = extractor.ExtractFeatures(rgb.Select(x => x.Select(v => v / 127.5f - 1f).ToArray()).ToArray(), 224);
        string dir = ResNet18FromOnnx.DefaultModelDirectory;
        using var prep = new InferenceSession(Path.Combine(dir, ResNet18FromOnnx.PreprocessFile));
        using var net = new InferenceSession(Path.Combine(dir, ResNet18FromOnnx.NetworkFile));
        Assert.Equal(3, features.Length);
        for (int i = 0; i < photos.Length; i++)
        {
            var expected = RunOrt(prep, net, rgb[i]);
            Assert.Equal(512, features[i].Length);
            double diff = expected.Zip(features[i], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff < 1e-4, $"{photos[i]}: max |extractor − ORT| = {diff:E2}");
        }
        Assert.True(Microsoft.ML.MirrorGan.Evaluation.PretrainedFeatureExtractors.IsResNet18Available());
        Assert.False(Microsoft.ML.MirrorGan.Evaluation.PretrainedFeatureExtractors.IsResNet18Available(Path.GetTempPath()));
    }

    [Fact]
    public void Registered_kind_serves_the_damsm_and_stream_encoders_frozen_and_differentiable()
    {
        using var scope = NewDisposeScope();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        MirrorGanBackbones.RegisterResNet18();
        _output.WriteLine($"register {clock.ElapsedMilliseconds} ms");
        var damsm = new DamsmImageEncoder(ImageBackbones.Create("resnet18-imagenet"), 16);
        Assert.True(damsm.Backbone.IsFrozen);
        Assert.Empty(damsm.Backbone.parameters());                     // weights are buffers: nothing to train
        Assert.Equal(3, damsm.TrainableParameters.Count());            // the two projections only (conv weight, linear weight and bias)
        var images = cat(new[] { MinusOneToOne(PlanarRgb255("coffee.jpg")), MinusOneToOne(PlanarRgb255("chelsea.jpg")) }, 0).requires_grad_(true);
        var (regions, global) = damsm.call(images);
        Assert.Equal(new long[] { 2, 16, 196 }, regions.shape);
        Assert.Equal(new long[] { 2, 16 }, global.shape);
        _output.WriteLine($"+ damsm {clock.ElapsedMilliseconds} ms");

        var stream = new StreamEncoder(ImageBackbones.Create("resnet18-imagenet"), 8);
        stream.train();                                                  // BN of a frozen trunk ignores train mode
        var feature = stream.call(images);
        (feature * feature).sum().backward();
        _output.WriteLine($"+ stream backward {clock.ElapsedMilliseconds} ms");
        Assert.NotNull(images.grad);                                     // gradients reach the images (GAN-time loss)
        Assert.True(images.grad!.abs().sum().item<float>() > 0);

        // Same weights as the direct conversion.
        using var noGrad = no_grad();
        var a = stream.Backbone.call(images.detach()).Global;
        var b = Converted.Value.call(images.detach()).Global;
        Assert.True(a.allclose(b, 0, 1e-6));
    }

    [Fact]
    public void Unloaded_resnet18_refuses_to_run()
    {
        using var scope = NewDisposeScope();
        var bare = ResNetBackbone.FromKind("resnet18-imagenet");
        var ex = Assert.Throws<InvalidOperationException>(() => bare.call(zeros(1, 3, 224, 224)));
        Assert.Contains("RegisterResNet18", ex.Message);
    }

    [Fact]
    public void Missing_onnx_files_name_the_package()
    {
        using var dir = TestPaths.NewTempDir();
        var ex = Assert.Throws<FileNotFoundException>(() => ResNet18FromOnnx.Load(dir.Path));
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18", ex.Message);
    }
}
