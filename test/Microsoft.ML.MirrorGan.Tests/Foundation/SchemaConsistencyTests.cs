using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Tests.Glam;
using Microsoft.ML.MirrorGan.Tests.StreamCaptioner;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

/// <summary>
/// Each estimator's <c>GetOutputSchema</c> (what a pipeline checks before fitting) and its <c>Fit</c> accept and reject
/// the same inputs with the same message, and the shape it promises is the fitted transformer's output.
/// </summary>
public class SchemaConsistencyTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public SchemaConsistencyTests(GlamFixture fixture) => _f = fixture;

    private sealed class NoImage
    {
        public string Caption { get; set; } = "a red circle";
        public int ClassId { get; set; }
    }

    private sealed class NumberCaption
    {
        public float Caption { get; set; }
        [Microsoft.ML.Transforms.Image.ImageType(8, 8)]
        public MLImage Image { get; set; } = global::Microsoft.ML.MirrorGan.Data.RgbImage.FromRgb(8, 8, new byte[8 * 8 * 3]);
        public int ClassId { get; set; }
    }

    private sealed class TextImage
    {
        public string Caption { get; set; } = "a red circle";
        public string Image { get; set; } = "circle.png";
        public int ClassId { get; set; }
    }

    private sealed class FloatClass
    {
        public string Caption { get; set; } = "a red circle";
        [Microsoft.ML.Transforms.Image.ImageType(8, 8)]
        public MLImage Image { get; set; } = global::Microsoft.ML.MirrorGan.Data.RgbImage.FromRgb(8, 8, new byte[8 * 8 * 3]);
        public float ClassId { get; set; }
    }

    private IEnumerable<(string Name, IDataView Data)> BadInputs()
    {
        yield return ("no image column", _f.Ml.Data.LoadFromEnumerable(new[] { new NoImage() }));
        yield return ("a number caption", _f.Ml.Data.LoadFromEnumerable(new[] { new NumberCaption() }));
        yield return ("a text image", _f.Ml.Data.LoadFromEnumerable(new[] { new TextImage() }));
        yield return ("a float class id", _f.Ml.Data.LoadFromEnumerable(new[] { new FloatClass() }));
    }

    private IEnumerable<(string Name, IEstimator<ITransformer> Estimator)> Estimators()
    {
        yield return ("TextEmbed", _f.Ml.Transforms.TextEmbed());
        yield return ("StreamCaptioner", _f.Ml.Transforms.StreamCaptioner());
        yield return ("MirrorGan (fits TextEmbed and the captioner)", _f.Ml.Transforms.MirrorGan());
        yield return ("MirrorGan (given both)", _f.Trainer(_f.Options(1)));
    }

    [Theory]
    [InlineData(0, 4)] // TextEmbed reads caption, image and class id
    [InlineData(1, 3)] // StreamCaptioner reads image and caption
    [InlineData(2, 4)] // MirrorGan fitting its own TextEmbed reads the class id too
    [InlineData(3, 3)] // MirrorGan given both reads caption and image
    public void GetOutputSchema_and_Fit_reject_the_same_inputs_with_the_same_message(int which, int expectedRejections)
    {
        var (estimatorName, estimator) = Estimators().ElementAt(which);
        int rejected = 0;
        foreach (var (inputName, data) in BadInputs())
        {
            Exception? schemaError = Record.Exception(() => estimator.GetOutputSchema(SchemaShapes.Of(data.Schema)));
            if (schemaError is null) continue; // a column this estimator does not read (the one-row view then fails on its size)
            Exception? fitError = Record.Exception(() => estimator.Fit(data));
            string context = $"{estimatorName}, {inputName}";
            Assert.True(fitError is not null, $"{context}: Fit accepted what GetOutputSchema refused ({schemaError.Message})");
            Assert.Equal(schemaError.GetType(), fitError!.GetType());
            Assert.Equal(schemaError.Message, fitError.Message);
            rejected++;
        }
        Assert.Equal(expectedRejections, rejected);
    }

    [Fact]
    public void A_refusal_names_the_column_its_type_and_the_option_to_set()
    {
        var data = _f.Ml.Data.LoadFromEnumerable(new[] { new TextImage() });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _f.Trainer(_f.Options(1)).Fit(data));
        Assert.Contains("'Image'", e.Message);
        Assert.Contains("String", e.Message);
        Assert.Contains("Image (MLImage", e.Message);

        var missing = _f.Ml.Data.LoadFromEnumerable(new[] { new NoImage() });
        e = Assert.Throws<ArgumentOutOfRangeException>(() => _f.Ml.Transforms.StreamCaptioner().Fit(missing));
        Assert.Contains("'Image' was not found", e.Message);
        Assert.Contains("'Caption' (String)", e.Message);
        Assert.Contains("StreamCaptionerOptions.ImageColumnName", e.Message);
    }

    [Fact]
    public void The_promised_columns_are_the_fitted_chains_output()
    {
        var o = _f.Options(1);
        o.Columns = new global::Microsoft.ML.MirrorGan.Glam.MirrorGanColumns { GeneratedPixelsColumnName = "GeneratedPixels" };
        var trainer = _f.Trainer(o);
        var promised = trainer.GetOutputSchema(SchemaShapes.Of(_f.Train.Schema));
        var chain = trainer.Fit(_f.Train);
        var actual = chain.GetOutputSchema(_f.Train.Schema);
        Assert.Equal(actual.Where(c => !c.IsHidden).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal),
            promised.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal));
        foreach (var c in promised)
        {
            var type = actual[c.Name].Type;
            Assert.Equal(c.ItemType.RawType, (type is VectorDataViewType v ? v.ItemType : type).RawType);
        }
        Assert.Contains(promised, c => c.Name == "GeneratedCaption");

        var captioner = _f.Ml.Transforms.StreamCaptioner(StreamPersistenceTests.SmallCaptionerOptions(epochs: 1), _f.TextEmbed.Vocabulary);
        var captionerPromised = captioner.GetOutputSchema(SchemaShapes.Of(_f.Train.Schema)).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal);
        var captionerActual = captioner.Fit(_f.Train).GetOutputSchema(_f.Train.Schema).Where(c => !c.IsHidden).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(captionerActual, captionerPromised);
    }
}
