using Google.Protobuf;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.MirrorGan.Tests.Evaluation;

public class OnnxEvaluationTests
{
    // A 3-class "classifier" over 2×2 RGB inputs: Flatten → Gemm(W 12×3, b) [→ Softmax]. Class c weighs channel c's pixels.
    private static readonly float[] W = Enumerable.Range(0, 12 * 3).Select(i => (i / 3) / 4 == i % 3 ? 1.5f : -0.25f * (i % 5)).ToArray();
    private static readonly float[] B = { 0.1f, -0.2f, 0.3f };

    private static byte[] Model(bool softmax, object batch, object side)
    {
        var g = new OnnxGraphBuilder("tiny_classifier");
        string x = g.Input("images", DataType.Float, batch, 3, side, side);
        string h = g.Node("Flatten", new[] { x }, OnnxGraphBuilder.Attr("axis", 1L));
        h = g.Node("Gemm", new[] { h, g.Initializer("w", W, 12, 3), g.Initializer("b", B, 3) });
        if (softmax) h = g.Node("Softmax", new[] { h }, OnnxGraphBuilder.Attr("axis", 1L));
        g.Output(h, "scores", DataType.Float, batch, 3);
        return g.Build("test").ToByteArray();
    }

    // Constant-colour images: any bilinear resize leaves them unchanged, so the expected output is exact.
    private static float[] Constant(int size, float r, float gr, float b) =>
        new[] { r, gr, b }.SelectMany(v => Enumerable.Repeat(v, size * size)).ToArray();

    private static double[] Expected(float[] chw2x2, Func<float, int, float> normalise, bool softmax)
    {
        var logits = Enumerable.Range(0, 3).Select(c => B[c] + Enumerable.Range(0, 12).Sum(i => (double)normalise(chw2x2[i], i / 4) * W[i * 3 + c])).ToArray();
        if (!softmax) return logits;
        double max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    private static readonly float[][] Images = { Constant(8, 0.8f, -0.6f, 0.1f), Constant(8, -1f, 1f, 0.5f), Constant(8, 0f, 0.2f, 0.9f) };

    [Theory]
    [InlineData(OnnxImageNormalization.MinusOneToOne, true)]
    [InlineData(OnnxImageNormalization.ZeroToOne, false)]
    [InlineData(OnnxImageNormalization.ImageNet, true)]
    [InlineData(OnnxImageNormalization.ZeroTo255, false)]
    public void Classifier_resizes_normalises_and_returns_probabilities(OnnxImageNormalization normalization, bool softmaxInGraph)
    {
        float[] mean = { 0.485f, 0.456f, 0.406f }, std = { 0.229f, 0.224f, 0.225f };
        Func<float, int, float> f = normalization switch
        {
            OnnxImageNormalization.ZeroToOne => (v, _) => (v + 1) / 2,
            OnnxImageNormalization.ImageNet => (v, c) => ((v + 1) / 2 - mean[c]) / std[c],
            OnnxImageNormalization.ZeroTo255 => (v, _) => (v + 1) * 127.5f,
            _ => (v, _) => v,
        };
        using var classifier = new OnnxImageClassifier(Model(softmaxInGraph, "batch", 2), new OnnxImageModelOptions { Normalization = normalization, BatchSize = 2 });
        Assert.Equal(3, classifier.ClassCount);
        var p = classifier.PredictProbabilities(Images, 8);
        Assert.Equal(3, p.Length);
        for (int i = 0; i < Images.Length; i++)
        {
            var want = Expected(Constant(2, Images[i][0], Images[i][64], Images[i][128]), f, softmax: true);
            for (int c = 0; c < 3; c++) Assert.Equal(want[c], p[i][c], 4);
        }
        // The IS of these rows is the IS of the expected rows.
        var expectedRows = Images.Select(im => Expected(Constant(2, im[0], im[64], im[128]), f, true).Select(v => (float)v).ToArray()).ToArray();
        Assert.Equal(InceptionScore.Compute(expectedRows, 3).Mean, InceptionScore.Compute(p, 3).Mean, 4);
    }

    [Fact]
    public void Fixed_batch_models_are_padded_and_features_are_raw_outputs()
    {
        using var extractor = new OnnxImageFeatureExtractor(Model(false, 2, 2));
        var features = extractor.ExtractFeatures(Images, 8); // 3 images through a batch-2 model: the last batch is padded
        Assert.Equal(3, features.Length);
        for (int i = 0; i < 3; i++)
        {
            var want = Expected(Constant(2, Images[i][0], Images[i][64], Images[i][128]), (v, _) => v, softmax: false);
            for (int c = 0; c < 3; c++) Assert.Equal(want[c], features[i][c], 4);
        }
        Assert.StartsWith("onnx:", extractor.Name);
    }

    [Fact]
    public void Dropped_leading_outputs_and_bad_options_are_handled()
    {
        using var classifier = new OnnxImageClassifier(Model(false, "batch", 2), new OnnxImageModelOptions { DropLeadingOutputs = 1, Output = OnnxClassifierOutput.Logits });
        var p = classifier.PredictProbabilities(Images, 8);
        Assert.Equal(2, classifier.ClassCount);
        Assert.All(p, row => Assert.Equal(1.0, row.Sum(v => (double)v), 5));

        var e = Assert.Throws<ArgumentException>(() => new OnnxImageClassifier(Model(true, "batch", "side")));
        Assert.Contains("InputSize", e.Message);
        e = Assert.Throws<ArgumentException>(() => new OnnxImageClassifier(Model(true, "batch", 2), new OnnxImageModelOptions { InputSize = 4 }));
        Assert.Contains("fixes H = 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => new OnnxImageClassifier(Model(true, "batch", 2), new OnnxImageModelOptions { OutputName = "nope" }));
        Assert.Contains("'scores'", e.Message);
        using var symbolic = new OnnxImageClassifier(Model(true, "batch", "side"), new OnnxImageModelOptions { InputSize = 2 });
        Assert.Equal(3, symbolic.PredictProbabilities(Images, 8).Length);
        Assert.Throws<FileNotFoundException>(() => new OnnxImageClassifier("/nonexistent/model.onnx"));
    }
}
