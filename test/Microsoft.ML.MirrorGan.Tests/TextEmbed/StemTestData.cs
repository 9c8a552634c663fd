using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

/// <summary>Small STEM models and data for the tests.</summary>
internal static class StemTestData
{
    public sealed class CaptionRow
    {
        public string Caption { get; set; } = "";
    }

    public static IDataView Captions(MLContext ml, params string[] captions) =>
        ml.Data.LoadFromEnumerable(captions.Select(c => new CaptionRow { Caption = c }));

    /// <summary>An untrained transformer (seeded weights) over the vocabulary of <paramref name="captions"/>.</summary>
    public static TextEmbedTransformer Untrained(MLContext ml, IEnumerable<string> captions, bool unknownToken = true, int maxWords = 6,
        EmptyCaptionHandling empty = EmptyCaptionHandling.Error, bool asciiOnly = false)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(1);
        var vocabulary = Vocabulary.Build(captions, unknownToken, asciiOnly);
        var text = new TextEncoder(vocabulary.Count, 8, 4);
        var image = new DamsmImageEncoder(new SmallCnnBackbone(32, 4), text.FeatureSize);
        return new TextEmbedTransformer(ml, vocabulary, text, image, new TextEmbedColumns(), maxWords, 32, empty);
    }

    /// <summary>Tiny options for 32-px Shapes that train in seconds.</summary>
    public static TextEmbedOptions TinyShapesOptions(int epochs) => new()
    {
        EmbeddingSize = 32,
        HiddenSize = 16,
        MaxWords = 12,
        BatchSize = 16,
        LearningRate = 0.002,
        Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 8 },
        ImageSize = 32,
        Epochs = epochs,
        Seed = 1,
        Device = "cpu",
    };

    public static IDataView Shapes(MLContext ml, int count, int start = 0) =>
        ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 32, Count = count, StartIndex = start, Seed = 3, CaptionsPerImage = 1 });
}

/// <summary>One tiny model fitted on Shapes, shared by the tests that need a trained transformer.</summary>
public sealed class FittedStemFixture
{
    public FittedStemFixture()
    {
        Ml = new MLContext(seed: 1);
        Train = StemTestData.Shapes(Ml, 48);
        Model = Ml.Transforms.TextEmbed(StemTestData.TinyShapesOptions(epochs: 1)).Fit(Train);
    }

    public MLContext Ml { get; }
    public IDataView Train { get; }
    public TextEmbedTransformer Model { get; }
}
