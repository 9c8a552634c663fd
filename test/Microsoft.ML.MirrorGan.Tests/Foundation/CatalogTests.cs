using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

public class CatalogTests
{
    [Fact]
    public void Simple_overloads_use_the_tiny_presets_with_the_given_column_names()
    {
        var ml = new MLContext(seed: 1);
        var text = ml.Transforms.TextEmbed("Text", "Picture");
        Assert.Equal("Text", text.Options.CaptionColumnName);
        Assert.Equal("Picture", text.Options.ImageColumnName);
        Assert.Equal(TextEmbedOptions.Tiny().HiddenSize, text.Options.HiddenSize);

        var gan = ml.Transforms.MirrorGan("Text", "Picture");
        Assert.Equal("Text", gan.Options.CaptionColumnName);
        Assert.Equal("Picture", gan.Options.ImageColumnName);
        Assert.Equal(MirrorGanTrainerOptions.Tiny().Network, gan.Options.Network);

        // The column name reaches the schema check: a view without it is refused, naming it.
        var captions = new SchemaShape(new[] { SchemaShapes.Scalar("Caption", TextDataViewType.Instance) });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => text.GetOutputSchema(captions));
        Assert.Contains("'Text'", e.Message);
        var rows = new SchemaShape(new[]
        {
            SchemaShapes.Scalar("Caption", TextDataViewType.Instance),
            SchemaShapes.Scalar("Image", new Microsoft.ML.Transforms.Image.ImageDataViewType()),
            SchemaShapes.Scalar("ClassId", NumberDataViewType.Int32),
        });
        Assert.Contains(ml.Transforms.TextEmbed().GetOutputSchema(rows), c => c.Name == "SentenceFeature");
        Assert.IsType<StreamCaptionerEstimator>(ml.Transforms.StreamCaptioner("Picture", "Text", "Said"));
    }

    [Fact]
    public void Options_overloads_refuse_null_and_name_a_preset()
    {
        var ml = new MLContext(seed: 1);
        Assert.Contains("TextEmbedOptions.Tiny()", Assert.Throws<ArgumentNullException>(() => ml.Transforms.TextEmbed((TextEmbedOptions)null!)).Message);
        Assert.Contains("StreamCaptionerOptions.Tiny()", Assert.Throws<ArgumentNullException>(() => ml.Transforms.StreamCaptioner((StreamCaptionerOptions)null!)).Message);
        Assert.Contains("MirrorGanTrainerOptions.Tiny()", Assert.Throws<ArgumentNullException>(() => ml.Transforms.MirrorGan((MirrorGanTrainerOptions)null!)).Message);
    }

    [Fact]
    public void All_three_option_classes_have_the_same_presets_and_the_GAN_presets_fit_their_own_text_side()
    {
        foreach (var type in new[] { typeof(TextEmbedOptions), typeof(StreamCaptionerOptions), typeof(MirrorGanTrainerOptions) })
        {
            var presets = type.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Where(m => m.ReturnType == type && m.GetParameters().Length == 0).Select(m => m.Name).OrderBy(n => n, StringComparer.Ordinal);
            Assert.Equal(new[] { "Coco", "Cub", "Tiny" }, presets);
        }
        Assert.Equal(18, MirrorGanTrainerOptions.Cub().TextEmbedOptions!.MaxWords);
        Assert.Equal(15, MirrorGanTrainerOptions.Coco().TextEmbedOptions!.MaxWords);
        Assert.Equal(12, MirrorGanTrainerOptions.Coco().StreamCaptionerOptions!.MaxWords);
        // The original's re-description loss has no end token; the tiny preset (measured with it) keeps one.
        Assert.False(MirrorGanTrainerOptions.Cub().StreamIncludesEndToken);
        Assert.False(MirrorGanTrainerOptions.Coco().StreamIncludesEndToken);
        Assert.True(MirrorGanTrainerOptions.Tiny().StreamIncludesEndToken);
        Assert.Equal(TextEmbedOptions.Tiny().HiddenSize, MirrorGanTrainerOptions.Tiny().TextEmbedOptions!.HiddenSize);
    }
}
