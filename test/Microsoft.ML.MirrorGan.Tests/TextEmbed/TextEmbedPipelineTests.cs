using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Evaluation;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class TextEmbedPipelineTests : IClassFixture<FittedStemFixture>
{
    private readonly FittedStemFixture _f;

    public TextEmbedPipelineTests(FittedStemFixture fixture) => _f = fixture;

    public sealed class Prediction
    {
        public float[] SentenceFeature { get; set; } = Array.Empty<float>();
        public int WordCount { get; set; }
    }

    [Fact]
    public void Shapes_to_TextEmbed_to_Transform_has_the_documented_schema()
    {
        var model = _f.Model.WithImageColumn("Image");
        var output = model.Transform(_f.Train);
        var schema = output.Schema;
        int d = _f.Model.FeatureSize, w = _f.Model.MaxWords;
        Assert.Equal(32, d);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, d * w), schema["WordFeatures"].Type);
        Assert.Equal(NumberDataViewType.Int32, schema["WordCount"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, d), schema["SentenceFeature"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, d), schema["ImageFeature"].Type);
        Assert.NotNull(schema.GetColumnOrNull("ClassId")); // passed through
        var counts = output.GetColumn<int>("WordCount").ToArray();
        var captions = output.GetColumn<string>("Caption").ToArray();
        Assert.Equal(48, counts.Length);
        for (int i = 0; i < counts.Length; i++)
            Assert.Equal(Math.Min(w, _f.Model.Vocabulary.Encode(captions[i]).Count), counts[i]);
        Assert.All(output.GetColumn<float[]>("ImageFeature"), v => Assert.Equal(d, v.Length));
    }

    [Fact]
    public void PredictionEngine_matches_Transform()
    {
        var rows = new[] { "a small red circle on the left on a white background", "big blue square" };
        var expected = _f.Model.Transform(StemTestData.Captions(_f.Ml, rows)).GetColumn<float[]>("SentenceFeature").ToArray();
        var engine = _f.Ml.Model.CreatePredictionEngine<StemTestData.CaptionRow, Prediction>(_f.Model);
        for (int i = 0; i < rows.Length; i++)
        {
            var p = engine.Predict(new StemTestData.CaptionRow { Caption = rows[i] });
            // One row vs a batch of two: same maths, float summation order may differ in the last bit.
            Assert.Equal(expected[i].Length, p.SentenceFeature.Length);
            for (int k = 0; k < expected[i].Length; k++) Assert.Equal(expected[i][k], p.SentenceFeature[k], 1e-5f);
            Assert.True(p.WordCount > 0);
        }
    }

    [Fact]
    public void R_precision_and_retrieval_run_on_real_images()
    {
        var rp = new RPrecision { Candidates = 10, Folds = 2, Seed = 1 };
        var score = rp.Evaluate(_f.Model, _f.Train);
        Assert.Equal(48, score.Count);
        Assert.InRange(score.Mean, 0, 1);
        var (images, sentences, classes) = RPrecision.Features(_f.Model, _f.Train);
        Assert.InRange(TextImageRetrieval.TopOne(images, sentences, classes, byClass: true), 0, 1);
    }

    [Fact]
    public void R_precision_counts_a_perfect_and_a_useless_encoder_correctly()
    {
        // Image i's feature equals its caption's: always ranked first. Constant features: ties are misses.
        var feats = Enumerable.Range(0, 30).Select(i => new float[] { MathF.Cos(i), MathF.Sin(i), i % 3 }).ToArray();
        var classes = Enumerable.Range(0, 30).ToArray();
        var rp = new RPrecision { Candidates = 10, Folds = 3, Seed = 2 };
        Assert.Equal(1.0, rp.Compute(feats, feats, classes).Mean);
        var same = Enumerable.Range(0, 30).Select(_ => new float[] { 1, 0, 0 }).ToArray();
        Assert.Equal(0.0, rp.Compute(same, same, classes).Mean);
    }

    [Fact]
    public void Fit_names_a_missing_or_mistyped_training_column()
    {
        var captionsOnly = StemTestData.Captions(_f.Ml, "a red circle", "a blue square");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _f.Ml.Transforms.TextEmbed(StemTestData.TinyShapesOptions(1)).Fit(captionsOnly));
        Assert.Contains("'Image'", e.Message);
        var options = StemTestData.TinyShapesOptions(1);
        options.ClassIdColumnName = "Caption";
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => _f.Ml.Transforms.TextEmbed(options).Fit(_f.Train));
        Assert.Contains("'Caption'", e2.Message);
        Assert.Contains("Int32", e2.Message);
    }

    [Fact]
    public void Transform_names_a_missing_caption_column()
    {
        var data = _f.Ml.Data.LoadFromEnumerable(new[] { new { Text = "a red circle" } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _f.Model.Transform(data));
        Assert.Contains("'Caption'", e.Message);
    }
}
