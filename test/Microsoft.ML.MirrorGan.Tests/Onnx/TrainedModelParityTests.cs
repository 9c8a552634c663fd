using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Tests.StreamCaptioner;
using Microsoft.ML.MirrorGan.Tests.TextEmbed;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using static Microsoft.ML.MirrorGan.Tests.Onnx.OrtTestRun;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>
/// Parity on trained weights: STEM fitted on Shapes (1 epoch), the STREAM captioner fitted on the synthetic scenes, and a
/// generator after a few Adam steps in training mode (so its BatchNorm statistics moved), exported with ExportToOnnx.
/// </summary>
public class TrainedModelParityTests
{
    private sealed record Trained(MLContext Ml, TextEmbedTransformer Text, StreamCaptionerTransformer Captioner, ConditioningAugmentation Ca, GlamGenerator Generator, string Folder);

    private static readonly Lazy<Trained> Models = new(() =>
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Transforms.TextEmbed(StemTestData.TinyShapesOptions(epochs: 1)).Fit(StemTestData.Shapes(ml, 48));
        var o = StreamCaptionerOptions.Tiny();
        o.ImageSize = StreamTestData.Size;
        o.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        o.EmbedSize = 16;
        o.HiddenSize = 24;
        o.Epochs = 4;
        o.BatchSize = 12;
        var captioner = ml.Transforms.StreamCaptioner(o).Fit(ml.Data.LoadFromEnumerable(StreamTestData.Rows(2)));

        manual_seed(9);
        var options = ExportParityTests.TinyGenerator(stages: 2) with { TextDim = text.FeatureSize };
        var ca = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        var generator = new GlamGenerator(options);
        var optimizer = optim.Adam(generator.parameters().Concat(ca.parameters()), 2e-3);
        var target = rand(4, 3, 64, 64) * 2 - 1;
        generator.train();
        ca.train();
        for (int step = 0; step < 8; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var (code, _, _) = ca.call(randn(4, options.TextDim));
            var output = generator.call(randn(4, options.ZDim), code, randn(4, options.TextDim, 5), null);
            (output.Images[0] - target).abs().mean().backward();
            optimizer.step();
        }
        generator.eval();
        ca.eval();
        string folder = Path.Combine(Path.GetTempPath(), "mirrorgan-tests", "trained-" + Guid.NewGuid().ToString("N"));
        new TransformerChain<ITransformer>(text, captioner).ExportToOnnx(folder);
        new MirrorGanOnnxPackage().WithTextEmbed(text).WithGenerator(ca, generator, attentionMaps: true).WithCaptioner(captioner).Save(folder);
        return new Trained(ml, text, captioner, ca, generator, folder);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Trained_tiny_model_matches_TorchSharp_for_every_output(int batch)
    {
        var m = Models.Value;
        using var scope = NewDisposeScope();
        var diffs = new Dictionary<string, float>();

        // Text encoder graph on mixed-length captions.
        var captions = ExportParityTests.Captions(batch, m.Text.Vocabulary.Count, 40 + batch);
        var (ids, lengths, t) = ExportParityTests.Pad(captions);
        var text = Run(File.ReadAllBytes(Path.Combine(m.Folder, TextEncoderFile)), Int64(TokenIds, ids, batch, t), Int32(Lengths, lengths, batch));
        Tensor words, sentence;
        using (no_grad()) (words, sentence) = m.Text.TextEncoder.call(CaptionBatch.ToTensors(captions).Ids, CaptionBatch.ToTensors(captions).Lengths);
        diffs[WordFeatures] = MaxDiff(text[WordFeatures], words);
        diffs[SentenceFeature] = MaxDiff(text[SentenceFeature], sentence);

        // Generator graph on the encoder's features.
        var mask = tensor(Enumerable.Range(0, batch * t).Select(k => k % t >= lengths[k / t]).ToArray()).view(batch, t);
        var z = randn(batch, m.Generator.Options.ZDim);
        var eps = randn(batch, m.Generator.Options.ConditionDim);
        GlamOutput want;
        using (no_grad())
        {
            var (_, mu, logVar) = m.Ca.call(sentence);
            want = m.Generator.call(z, mu + exp(logVar * 0.5) * eps, words, mask);
        }
        var gen = Run(File.ReadAllBytes(Path.Combine(m.Folder, GeneratorFile)),
            Float(Z, z), Float(CaNoise, eps), Float(WordFeatures, words), Bool(PadMask, mask), Float(SentenceFeature, sentence));
        diffs[Image(64)] = MaxDiff(gen[Image(64)], want.Images[0]);
        diffs[Image(128)] = MaxDiff(gen[Image(128)], want.Images[1]);
        diffs[Attention(128)] = MaxDiff(gen[Attention(128)], want.Attention[0]);

        // Captioner: encoder feature, then whole captions and scores through the C# search.
        var rows = StreamTestData.Rows(1).Take(batch).ToArray();
        var pixels = rows.SelectMany(r => Microsoft.ML.MirrorGan.Imaging.ImageTensor.ToChw(r.Image, StreamTestData.Size)).ToArray();
        var images = tensor(pixels, new long[] { batch, 3, StreamTestData.Size, StreamTestData.Size });
        Tensor feature;
        using (no_grad()) feature = m.Captioner.Network.Encoder.call(images);
        diffs[ImageFeature] = MaxDiff(Run(File.ReadAllBytes(Path.Combine(m.Folder, CaptionEncoderFile)), Float(CaptionImage, images))[ImageFeature], feature);
        using var onnxCaptioner = MirrorGanOnnxCaptioner.Open(m.Folder);
        foreach (int width in new[] { 1, 3 })
        {
            var wantCaptions = m.Captioner.Generate(images, width);
            var got = onnxCaptioner.Caption(pixels, batch, width);
            Assert.Equal(wantCaptions.Select(c => string.Join(",", c.Ids)), got.Select(c => string.Join(",", c.Ids)));
            diffs[$"caption score beam{width}"] = got.Zip(wantCaptions).Max(p => Math.Abs(p.First.LogProbability - p.Second.LogProbability));
        }
        foreach (var (name, d) in diffs)
        {
            Record($"trained b{batch} {name}", d);
            Assert.True(d <= 1e-4f, $"{name} differs by {d}");
        }
    }
}
