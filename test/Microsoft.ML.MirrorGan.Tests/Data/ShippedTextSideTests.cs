using System.Text.Json;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Data;

/// <summary>
/// The Shapes text side the QuickStart ships (samples/QuickStart/pretrained/shapes, made by the Experiments project's <c>pretrain</c> verb):
/// it loads, knows every attribute word, tells captions that differ only in shape or position apart as well as its
/// pretrain.json says, and both captioners read real held-out images.
/// </summary>
public class ShippedTextSideTests
{
    private static string Folder => Path.Combine(TestPaths.Metadata("RepoRoot"), "samples", "QuickStart", "pretrained", "shapes");

    [Fact]
    public void The_shipped_text_side_loads_and_separates_the_attributes_as_recorded()
    {
        var ml = new MLContext(seed: 1);
        var text = (TextEmbedTransformer)ml.Model.Load(Path.Combine(Folder, "text_embed.zip"), out _);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "pretrain.json")));
        var root = json.RootElement;
        Assert.StartsWith("pretrain --out", root.GetProperty("command").GetString());

        foreach (var word in ShapesVocabulary.ColorNames.Concat(ShapesVocabulary.ShapeNames).Concat(ShapesVocabulary.SizeNames).Concat(ShapesVocabulary.PositionNames))
        {
            var unknown = new List<string>();
            text.Vocabulary.Encode(word, unknown);
            Assert.Empty(unknown);
        }

        var recorded = root.GetProperty("diagnostics").GetProperty("text");
        var measured = ShapesTextSeparation.Measure(text);
        foreach (var (attribute, limit) in new[] { ("shape", 0.80), ("position", 0.70), ("color", 0.80), ("size", 0.85) })
        {
            double cosine = measured[attribute].SentenceCosine;
            Assert.Equal(recorded.GetProperty(attribute).GetProperty("sentence_cosine").GetDouble(), cosine, 4);
            Assert.True(cosine < limit, $"{attribute}: layer-normalised sentence cosine of captions differing only in it is {cosine:F3} (limit {limit})");
        }
    }

    [Theory]
    [InlineData("captioner.zip")]
    [InlineData("judge_captioner.zip")]
    public void Each_shipped_captioner_reads_real_held_out_prompts(string file)
    {
        var ml = new MLContext(seed: 1);
        var captioner = (StreamCaptionerTransformer)ml.Model.Load(Path.Combine(Folder, file), out _);
        var scenes = ShapesSplit.HeldOutPrompts;
        var data = new ShapesDataset(new ShapesOptions { ImageSize = 64 });
        int side = captioner.ImageSize, plane = 3 * side * side;
        var pixels = new float[scenes.Count * plane];
        for (int i = 0; i < scenes.Count; i++)
        {
            using var image = data.Render(scenes[i]);
            ImageTensor.ToChw(image, side, pixels.AsSpan(i * plane, plane));
        }
        using var scope = NewDisposeScope();
        var captions = captioner.Generate(tensor(pixels, new long[] { scenes.Count, 3, side, side }), beamWidth: 1)
            .Select(c => captioner.Vocabulary.Decode(c.Ids)).ToArray();
        var accuracy = ShapesCaptionAccuracy.Score(captions, scenes);
        Assert.True(accuracy.Color >= 0.95 && accuracy.Shape >= 0.85 && accuracy.Size >= 0.9 && accuracy.Position >= 0.9,
            $"{file} on the 120 real held-out prompts: {accuracy}");
    }
}
