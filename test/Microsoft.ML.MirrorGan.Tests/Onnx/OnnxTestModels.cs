using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Tests.StreamCaptioner;
using Microsoft.ML.MirrorGan.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>A tiny random MirrorGAN (TextEmbed, CA + generator, captioner) and its ONNX export, shared by the serving tests.</summary>
public sealed class OnnxTestModels : IDisposable
{
    public static readonly string[] Captions =
    {
        "a red square on the left", "a blue bar", "green", "a small green square on the right of a white box",
        "red bar on the left", "a blue square", "the bar on the right", "a red circle",
    };

    public OnnxTestModels()
    {
        TorchRuntime.EnsureLoaded();
        Ml = new MLContext(seed: 1);
        manual_seed(3);
        var vocabulary = Vocabulary.Build(Captions.Concat(StreamTestData.Rows(1).Select(r => r.Caption)));
        var text = new TextEncoder(vocabulary.Count, 8, 5);
        TextEmbed = new TextEmbedTransformer(Ml, vocabulary, text, new DamsmImageEncoder(new SmallCnnBackbone(32, 4), text.FeatureSize),
            new TextEmbedColumns(), maxWords: 7, imageSize: 32);
        GeneratorOptions = ExportParityTests.TinyGenerator(stages: 2) with { TextDim = text.FeatureSize };
        Ca = new ConditioningAugmentation(GeneratorOptions.TextDim, GeneratorOptions.ConditionDim);
        Generator = new GlamGenerator(GeneratorOptions);
        OrtTestRun.RandomiseBatchNorms(Generator, 4);
        Ca.eval();
        Generator.eval();
        var net = new StreamCaptionNet(new SmallCnnBackbone(16, 4), vocabulary.Count, embedSize: 12, hiddenSize: 16, regionGrid: 2);
        OrtTestRun.RandomiseBatchNorms(net, 5);
        Captioner = new StreamCaptionerTransformer(Ml, net, vocabulary, "Image", "GeneratedCaption", "CaptionScore", StreamTestData.Size, maxWords: 6, beamWidth: 1);
        Folder = TestPaths.NewTempDir();
        Manifest = new MirrorGanOnnxPackage().WithTextEmbed(TextEmbed).WithGenerator(Ca, Generator, attentionMaps: true).WithCaptioner(Captioner).Save(Folder.Path);
    }

    public MLContext Ml { get; }
    public TextEmbedTransformer TextEmbed { get; }
    public GlamNetworkOptions GeneratorOptions { get; }
    public ConditioningAugmentation Ca { get; }
    public GlamGenerator Generator { get; }
    public StreamCaptionerTransformer Captioner { get; }
    internal TestPaths.TempDir Folder { get; }
    public MirrorGanOnnxManifest Manifest { get; }

    /// <summary>TorchSharp's final-stage images for captions with the noise the ONNX side draws (B×3×S×S floats per row).</summary>
    public float[][] TorchImages(IReadOnlyList<string> captions, int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var f = TextEmbed.EncodeCaptions(captions);
        int b = captions.Count, d = TextEmbed.FeatureSize, w = TextEmbed.MaxWords, zDim = GeneratorOptions.ZDim, c = GeneratorOptions.ConditionDim;
        var words = tensor(f.WordFeatures.SelectMany(x => x).ToArray(), new long[] { b, d, w });
        var mask = tensor(Enumerable.Range(0, b * w).Select(k => k % w >= f.WordCounts[k / w]).ToArray()).view(b, w);
        var sentence = tensor(f.SentenceFeatures.SelectMany(x => x).ToArray(), new long[] { b, d });
        var noise = captions.Select(_ => { var n = new float[zDim + c]; Microsoft.ML.MirrorGan.Glam.GenerationNoise.Fill(seed, n); return n; }).ToArray();
        var z = tensor(noise.SelectMany(n => n.Take(zDim)).ToArray(), new long[] { b, zDim });
        var eps = tensor(noise.SelectMany(n => n.Skip(zDim)).ToArray(), new long[] { b, c });
        var (_, mu, logVar) = Ca.call(sentence);
        var image = Generator.call(z, mu + exp(logVar * 0.5) * eps, words, mask).Images[^1];
        var values = image.contiguous().data<float>().ToArray();
        int plane = (int)(image.numel() / b);
        return Enumerable.Range(0, b).Select(i => values.AsSpan(i * plane, plane).ToArray()).ToArray();
    }

    public void Dispose()
    {
        Folder.Dispose();
        Generator.Dispose();
        Ca.Dispose();
    }
}
