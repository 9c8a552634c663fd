using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Text;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Tests.StreamCaptioner;

public class StreamCaptionerTests
{
    private sealed class Collect : IProgress<StreamProgress>
    {
        public List<StreamProgress> Reports { get; } = new();
        public void Report(StreamProgress value) => Reports.Add(value);
    }

    private static StreamCaptionerOptions Options(Collect? progress = null)
    {
        var o = StreamCaptionerOptions.Tiny();
        o.ImageSize = StreamTestData.Size;
        o.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        o.EmbedSize = 32;
        o.HiddenSize = 64;
        o.BatchSize = 12;
        o.Epochs = 25;
        o.LearningRate = 5e-3;
        o.ReportEvery = 1;
        o.Progress = progress;
        return o;
    }

    // One shared fit: training dominates the test time.
    private static readonly Lazy<(MLContext Ml, StreamCaptionerTransformer Model, List<StreamProgress> Reports)> Fitted = new(() =>
    {
        var ml = new MLContext(seed: 1);
        var progress = new Collect();
        var model = ml.Transforms.StreamCaptioner(Options(progress)).Fit(ml.Data.LoadFromEnumerable(StreamTestData.Rows(4)));
        return (ml, model, progress.Reports);
    });

    [Fact]
    public void Loss_decreases_and_captions_name_the_scene()
    {
        var (ml, model, reports) = Fitted.Value;
        Assert.NotEmpty(reports);
        double first = reports.Take(3).Average(r => r.Loss), last = reports.TakeLast(3).Average(r => r.Loss);
        Assert.True(last < first * 0.5, $"loss {first:F3} -> {last:F3}");
        var output = model.Transform(ml.Data.LoadFromEnumerable(StreamTestData.Rows(1)));
        var captions = output.GetColumn<string>("GeneratedCaption").ToArray();
        var scores = output.GetColumn<float>("CaptionScore").ToArray();
        Assert.Equal(12, captions.Length);
        Assert.All(scores, s => Assert.True(s <= 0 && !float.IsNaN(s)));
        var truth = StreamTestData.Rows(1).Select(r => r.Caption).ToArray();
        int colourRight = captions.Zip(truth).Count(p => p.First.Split(' ').Intersect(StreamTestData.Colors).SequenceEqual(p.Second.Split(' ').Intersect(StreamTestData.Colors)));
        Assert.True(colourRight >= 9, string.Join(" | ", captions));
    }

    [Fact]
    public void Vocabulary_is_built_like_STEM_or_taken_as_given_and_a_mismatch_is_a_clear_error()
    {
        var (_, model, _) = Fitted.Value;
        var built = Vocabulary.Build(StreamTestData.Rows(1).Select(r => r.Caption));
        model.EnsureCompatibleWith(built); // same captions, same construction → same map
        var other = Vocabulary.Build(new[] { "a completely different bird vocabulary" });
        var e = Assert.Throws<InvalidOperationException>(() => model.EnsureCompatibleWith(other));
        Assert.Contains("vocabular", e.Message);
        Assert.Contains("STREAM", e.Message);

        var ml = new MLContext(seed: 2);
        var given = Vocabulary.Build(StreamTestData.Rows(1).Select(r => r.Caption).Append("an extra word list"));
        var o = Options();
        o.Epochs = 1;
        var m2 = ml.Transforms.StreamCaptioner(o, given).Fit(ml.Data.LoadFromEnumerable(StreamTestData.Rows(1)));
        Assert.Equal(given.Fingerprint, m2.Vocabulary.Fingerprint);
        Assert.Equal(given.Count, m2.Network.Decoder.VocabularySize);
    }

    [Fact]
    public void Beam_search_output_and_PredictionEngine_work()
    {
        var (ml, model, _) = Fitted.Value;
        var engine = ml.Model.CreatePredictionEngine<StreamTestData.ImageOnly, StreamTestData.Prediction>(model);
        var rows = StreamTestData.Rows(1);
        var expected = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<string>("GeneratedCaption").ToArray();
        for (int i = 0; i < 3; i++)
            Assert.Equal(expected[i], engine.Predict(new StreamTestData.ImageOnly { Image = rows[i].Image }).GeneratedCaption);
        using var images = TorchSharp.torch.tensor(StreamTestData.Pixels(1, 0, 1), new long[] { 1, 3, StreamTestData.Size, StreamTestData.Size });
        var greedy = model.Generate(images, beamWidth: 1)[0];
        var beam = model.Generate(images, beamWidth: 3)[0];
        Assert.True(beam.LogProbability >= greedy.LogProbability - 1e-4);
        Assert.NotEmpty(beam.Ids);
    }

    [Fact]
    public void Caption_of_a_list_of_images_gives_the_transform_captions_across_batches()
    {
        var (ml, model, _) = Fitted.Value;
        var rows = StreamTestData.Rows(6); // 72 images: one full batch of 64 and a partial one
        var expected = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<string>("GeneratedCaption").ToArray();
        Assert.Equal(expected, model.Caption(rows.Select(r => r.Image).ToArray()));
        Assert.Empty(model.Caption(Array.Empty<MLImage>()));
    }

    [Fact]
    public void Wrong_size_and_grey_images_are_converted_and_a_missing_image_names_the_row()
    {
        var (ml, model, _) = Fitted.Value;
        var big = ImageTensor.FromChw(StreamTestData.Pixels(0, 0, 0, size: 48), 48);
        using var grey = new SKBitmap(new SKImageInfo(20, 20, SKColorType.Gray8, SKAlphaType.Opaque));
        grey.Erase(new SKColor(128, 128, 128));
        using var png = grey.Encode(SKEncodedImageFormat.Png, 100);
        var greyImage = MLImage.CreateFromStream(new MemoryStream(png.ToArray()));
        var view = ml.Data.LoadFromEnumerable(new[] { new StreamTestData.ImageOnly { Image = big }, new StreamTestData.ImageOnly { Image = greyImage } });
        var captions = model.Transform(view).GetColumn<string>("GeneratedCaption").ToArray();
        Assert.Equal(2, captions.Length);

        var bad = ml.Data.LoadFromEnumerable(new[] { new StreamTestData.ImageOnly { Image = big }, new StreamTestData.ImageOnly { Image = null! } });
        var e = Assert.ThrowsAny<Exception>(() => model.Transform(bad).GetColumn<string>("GeneratedCaption").ToArray());
        var inner = e is InvalidOperationException ? e : e.InnerException ?? e;
        Assert.Contains("Row 1", inner.Message);
        Assert.Contains("'Image'", inner.Message);
    }

    [Fact]
    public void Missing_image_column_fails_at_fit_with_its_name()
    {
        var ml = new MLContext(seed: 1);
        var o = Options();
        o.ImageColumnName = "Picture";
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.StreamCaptioner(o).Fit(ml.Data.LoadFromEnumerable(StreamTestData.Rows(1))));
        Assert.Contains("'Picture'", e.Message);
    }
}

public class StreamShapesTests
{
    private sealed class Collect : IProgress<StreamProgress>
    {
        public List<double> Losses { get; } = new();
        public void Report(StreamProgress value) => Losses.Add(value.Loss);
    }

    [Fact]
    public void Loss_decreases_on_Shapes()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 32, Count = 48, Seed = 2, CaptionsPerImage = 1 });
        var progress = new Collect();
        var o = StreamCaptionerOptions.Tiny();
        o.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        o.EmbedSize = 32;
        o.HiddenSize = 64;
        o.BatchSize = 16;
        o.Epochs = 8;
        o.LearningRate = 5e-3;
        o.ReportEvery = 1;
        o.Progress = progress;
        ml.Transforms.StreamCaptioner(o).Fit(data);
        double first = progress.Losses.Take(3).Average(), last = progress.Losses.TakeLast(3).Average();
        Assert.True(last < first * 0.6, $"loss {first:F3} -> {last:F3}");
    }
}
