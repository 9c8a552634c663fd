using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using Microsoft.ML.MirrorGan.TextEmbed;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>
/// Every parameter and buffer registered on an exported module reaches its ONNX graph, in each configuration the library
/// builds: a layer added to a network but not to its hand-written exporter fails here, named, instead of exporting a graph
/// that silently computes something else. What an exporter leaves out on purpose is listed in its <c>Unexported</c>.
/// Only graphs are built (nothing runs), at tiny widths.
/// </summary>
public class ExportCoverageTests
{
    private readonly ITestOutputHelper _output;

    public ExportCoverageTests(ITestOutputHelper output) => _output = output;

    /// <summary>Runs <paramref name="export"/> under a recording and checks <paramref name="root"/>'s tensors against it.</summary>
    private static ExportCoverageReport Coverage(nn.Module root, IEnumerable<ExportExemption> exemptions, Action export)
    {
        using var recording = ExportCoverage.Record();
        export();
        return recording.Check(root, exemptions);
    }

    private void AssertCovered(string what, nn.Module root, IEnumerable<ExportExemption> exemptions, Action export)
    {
        var report = Coverage(root, exemptions, export);
        var exempt = report.Exempted.Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct();
        _output.WriteLine($"{what}: {report.Registered} registered tensors, {report.Registered - report.Exempted.Count - report.Unread.Count} read, " +
            $"{report.Exempted.Count} exempt ({string.Join(", ", exempt)}), {report.Unread.Count} unread");
        Assert.True(report.Unread.Count == 0,
            $"The ONNX export of {what} does not read {report.Unread.Count} registered tensor(s): {string.Join(", ", report.Unread)}. " +
            "Emit them in the exporter, or list them in its Unexported with the reason.");
    }

    /// <summary>A generator of the given shape, as the library builds it (CA, cascade and, with statistics, the sentence buffers).</summary>
    private static MirrorGanGeneratorNet Generator(int stages, bool initAttention, bool sentenceStatistics) =>
        new(ExportParityTests.TinyGenerator(stages, initAttention: initAttention) with
        {
            ResidualBlocks = 2, NormalizeSentence = sentenceStatistics, StandardizeSentence = sentenceStatistics,
        });

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(1, false, true)]
    [InlineData(1, true, false)]
    [InlineData(1, true, true)]
    [InlineData(3, false, false)]
    [InlineData(3, false, true)]
    [InlineData(3, true, false)]
    [InlineData(3, true, true)]
    public void Generator_export_reads_every_registered_tensor(int stages, bool initAttention, bool sentenceStatistics)
    {
        using var scope = NewDisposeScope();
        using var net = Generator(stages, initAttention, sentenceStatistics);
        var transformer = new MirrorGanTransformer(new MLContext(seed: 1), net, maxWords: 5);
        // The path ExportToOnnx takes for a generator, so the sentence statistics are read where production reads them.
        AssertCovered($"generator ({stages} stage(s), init attention {initAttention}, sentence statistics {sentenceStatistics})",
            net, GlamOnnxExporter.Unexported, () => Assert.True(GeneratorHooks.TryAdd(new MirrorGanOnnxPackage(), transformer, attentionMaps: true)));
    }

    [Theory]
    [InlineData(nameof(UpsampleExport.Resize))]
    [InlineData(nameof(UpsampleExport.SubPixel2x2))]
    [InlineData(nameof(UpsampleExport.SubPixel3x3))]
    public void Every_up_block_form_reads_every_registered_tensor(string form)
    {
        using var scope = NewDisposeScope();
        using var net = Generator(stages: 2, initAttention: true, sentenceStatistics: false);
        var mode = Enum.Parse<UpsampleExport>(form);
        AssertCovered($"generator (2 stages, up-blocks as {form})", net, GlamOnnxExporter.Unexported,
            () => GlamOnnxExporter.Export(net.ConditioningAugmentation, net.Cascade, false, true, null, mode));
    }

    [Fact]
    public void Text_encoder_export_reads_every_registered_tensor()
    {
        using var scope = NewDisposeScope();
        using var encoder = new TextEncoder(vocabularySize: 23, embeddingSize: 12, hiddenSize: 7);
        AssertCovered("text encoder", encoder, StemOnnxExporter.Unexported, () => StemOnnxExporter.Export(encoder));
    }

    /// <summary>One kind per registered prefix (and each form a prefix has: flat small CNN, basic and bottleneck ResNets).</summary>
    private static readonly string[] Kinds =
    {
        "small-cnn:16:4",
        "small-cnn:16:4:flat",
        ResNetBackbone.ResNet18ImageNetKind,
        "resnet:basic:4:1-2-1-1:32",
        "resnet:bottleneck:2:1-1-1-1:32",
        "inception-v3:16",
    };

    public static TheoryData<string> BackboneKinds => new(Kinds);

    private static ImageBackbone Backbone(string kind)
    {
        if (kind != ResNetBackbone.ResNet18ImageNetKind) return ImageBackbones.Create(kind);
        // ML.NET ResNet-18's layout (CNTK padding, mean-image preprocessing) at width 4: the same modules and exporter
        // paths as the 64-wide trunk in a fraction of the time, and independent of any weight-loading factory another
        // test registers. The exporter refuses a zero mean image (weights never loaded).
        var resnet = new ResNetBackbone(ResNetLayout.ResNet18Cntk with { Width = 4 }, ResNetPreprocessing.MeanImageBgr);
        using (no_grad()) resnet.MeanImage!.fill_(0.5f);
        return resnet;
    }

    [Theory]
    [MemberData(nameof(BackboneKinds))]
    public void Captioner_export_reads_every_registered_tensor(string backbone)
    {
        using var scope = NewDisposeScope();
        using var net = new StreamCaptionNet(Backbone(backbone), vocabularySize: 11, embedSize: 8, hiddenSize: 6, regionGrid: 2);
        // Both graphs WithCaptioner writes: the encoder (trunk, projection, BatchNorm1d) and one decoder step.
        AssertCovered($"captioner on {backbone}", net, StreamOnnxExporter.Unexported, () =>
        {
            StreamOnnxExporter.ExportEncoder(net.Encoder, 32);
            StreamOnnxExporter.ExportDecoderStep(net.Decoder);
        });
    }

    [Theory]
    [MemberData(nameof(BackboneKinds))]
    public void DAMSM_image_encoder_export_reads_every_registered_tensor(string backbone)
    {
        using var scope = NewDisposeScope();
        using var encoder = new DamsmImageEncoder(Backbone(backbone), 10);
        AssertCovered($"DAMSM image encoder on {backbone}", encoder, DamsmOnnxExporter.Unexported, () => DamsmOnnxExporter.Export(encoder, 32));
    }

    [Fact]
    public void Every_registered_backbone_kind_is_covered()
    {
        var covered = Kinds.Select(k => k.Split(':')[0]).ToHashSet();
        var missing = ImageBackbones.Prefixes.Where(p => !covered.Contains(p)).ToArray();
        Assert.True(missing.Length == 0, $"Backbone kinds without an export coverage case: {string.Join(", ", missing)}. Add one to Kinds.");
    }

    // The check can fail: a tensor the exporter does not know is reported by its registered name.

    [Fact]
    public void An_extra_parameter_on_the_text_encoder_is_reported_by_name()
    {
        using var scope = NewDisposeScope();
        using var encoder = new TextEncoder(vocabularySize: 23, embeddingSize: 12, hiddenSize: 7);
        encoder.register_parameter("extra_scale", nn.Parameter(ones(14)));
        var report = Coverage(encoder, StemOnnxExporter.Unexported, () => StemOnnxExporter.Export(encoder));
        Assert.Equal(new[] { "extra_scale (parameter of TextEncoder)" }, report.Unread);
    }

    [Fact]
    public void An_extra_layer_in_the_generator_is_reported_by_name()
    {
        using var scope = NewDisposeScope();
        using var net = Generator(stages: 2, initAttention: true, sentenceStatistics: true);
        var stage = net.named_modules().Single(m => m.name == "glam.next_stages.0").module;
        stage.register_module("extra", nn.Conv2d(8, 8, 1));
        var transformer = new MirrorGanTransformer(new MLContext(seed: 1), net, maxWords: 5);
        var report = Coverage(net, GlamOnnxExporter.Unexported, () => GeneratorHooks.TryAdd(new MirrorGanOnnxPackage(), transformer, attentionMaps: false));
        Assert.Equal(new[] { "glam.next_stages.0.extra.weight (parameter of Conv2d)", "glam.next_stages.0.extra.bias (parameter of Conv2d)" }, report.Unread);
    }

    [Fact]
    public void An_extra_buffer_on_a_frozen_trunk_is_reported_by_name()
    {
        using var scope = NewDisposeScope();
        using var encoder = new DamsmImageEncoder(ImageBackbones.Create("resnet:basic:4:1-1-1-1:32"), 10);
        var norm = encoder.named_modules().Single(m => m.name == "backbone.trunk.layer2.0.bn1").module;
        norm.register_buffer("extra_shift", zeros(8));
        var report = Coverage(encoder, DamsmOnnxExporter.Unexported, () => DamsmOnnxExporter.Export(encoder, 32));
        Assert.Equal(new[] { "backbone.trunk.layer2.0.bn1.extra_shift (buffer of FrozenBatchNorm2d)" }, report.Unread);
    }

    [Fact]
    public void A_step_counter_outside_a_BatchNorm_is_not_exempt()
    {
        using var scope = NewDisposeScope();
        using var net = new StreamCaptionNet(new SmallCnnBackbone(16, 4), vocabularySize: 11, embedSize: 8, hiddenSize: 6);
        var linear = net.named_modules().Single(m => m.name == "encoder.linear").module;
        linear.register_buffer("num_batches_tracked", zeros(1, dtype: ScalarType.Int64));
        var report = Coverage(net, StreamOnnxExporter.Unexported, () =>
        {
            StreamOnnxExporter.ExportEncoder(net.Encoder, 16);
            StreamOnnxExporter.ExportDecoderStep(net.Decoder);
        });
        Assert.Equal(new[] { "encoder.linear.num_batches_tracked (buffer of Linear)" }, report.Unread);
        // The BatchNorms' own counters stay exempt: the encoder's BatchNorm1d and the trunk's BatchNorm2d layers.
        Assert.Contains("encoder.bn.num_batches_tracked", report.Exempted);
        Assert.Contains("encoder.backbone.trunk.bn0.num_batches_tracked", report.Exempted);
    }

    [Fact]
    public void Nothing_is_recorded_outside_a_recording()
    {
        using var scope = NewDisposeScope();
        using var encoder = new TextEncoder(vocabularySize: 5, embeddingSize: 4, hiddenSize: 3);
        StemOnnxExporter.Export(encoder);                              // before: not seen by the recording below
        using var recording = ExportCoverage.Record();
        var report = recording.Check(encoder, StemOnnxExporter.Unexported);
        Assert.Equal(report.Registered, report.Unread.Count);
    }
}
