using System.Diagnostics;
using Microsoft.ML.MirrorGan.Data;
using Xunit.Abstractions;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class ShapesScorerTests
{
    private readonly ITestOutputHelper _out;

    public ShapesScorerTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData(64, 600)]
    [InlineData(32, 300)]
    [InlineData(128, 150)]
    public void ScorerIsAtLeast99PercentOnCleanRenders(int size, int count)
    {
        var d = new ShapesDataset(new ShapesOptions { ImageSize = size, Count = count, Seed = 3, TwoObjectRatio = 0.3 });
        var correct = new Dictionary<string, int> { ["background"] = 0, ["color"] = 0, ["shape"] = 0, ["size"] = 0, ["position"] = 0 };
        var sw = Stopwatch.StartNew();
        foreach (var scene in d.Scenes)
        {
            using var image = d.Render(scene);
            var s = ShapesScorer.Score(image, scene);
            correct["background"] += s.Background == true ? 1 : 0;
            correct["color"] += s.Color == true ? 1 : 0;
            correct["shape"] += s.Shape == true ? 1 : 0;
            if (s.Shape != true) _out.WriteLine($"shape miss: {scene} -> {string.Join("; ", ShapesScorer.Detect(image).Objects)}");
            correct["size"] += s.Size == true ? 1 : 0;
            correct["position"] += s.Position == true ? 1 : 0;
        }
        _out.WriteLine($"S={size}: {count} scenes rendered and scored in {sw.ElapsedMilliseconds} ms; "
            + string.Join(", ", correct.Select(kv => $"{kv.Key} {100.0 * kv.Value / count:F1}%")));
        Assert.All(correct, kv => Assert.True(kv.Value >= 0.99 * count, $"{kv.Key}: {kv.Value}/{count}"));
    }

    [Fact]
    public void ScorerNoticesWrongAttributes_AndReadsCaptionsAndTensors()
    {
        var d = new ShapesDataset(new ShapesOptions { ImageSize = 64 });
        var scene = new ShapesScene(0, ShapesBackground.Gray, new[] { new ShapesObject(ShapesColor.Yellow, ShapesShape.Triangle, ShapesSize.Large, ShapesPosition.Center) });
        using var image = d.Render(scene);
        Assert.True(ShapesScorer.Score(image, scene).AllCorrect);
        var wrong = ShapesScorer.Score(image, "a small blue square on the left on a black background");
        Assert.Equal(false, wrong.Background);
        Assert.Equal(false, wrong.Color);
        Assert.Equal(false, wrong.Shape);
        Assert.Equal(false, wrong.Size);
        Assert.Equal(false, wrong.Position);
        var partial = ShapesScorer.Score(image, "a yellow triangle");
        Assert.Null(partial.Background);
        Assert.Null(partial.Size);
        Assert.True(partial.AllCorrect);
        Assert.True(ShapesScorer.Score(d.RenderChw(scene), 64, scene).AllCorrect);
    }

    [Fact]
    public void GenerationSpeed()
    {
        var d = new ShapesDataset(new ShapesOptions { Count = 500, TwoObjectRatio = 0.3 });
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        foreach (var scene in d.Scenes) bytes += d.RenderRgb(scene).Length;
        _out.WriteLine($"Shapes 64px: {d.Options.Count / sw.Elapsed.TotalSeconds:F0} images/s ({bytes} bytes)");
    }

    private static readonly ShapesDataset Renderer = new(new ShapesOptions { ImageSize = 64 });

    private static byte[] Blank()
    {
        var gray = ShapesVocabulary.Rgb(ShapesBackground.Gray);
        var rgb = new byte[64 * 64 * 3];
        for (int i = 0; i < 64 * 64; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = gray;
        return rgb;
    }

    private static ShapesScene Scene(ShapesColor color, ShapesShape shape, ShapesPosition position = ShapesPosition.Center, ShapesSize size = ShapesSize.Large) =>
        new(0, ShapesBackground.Gray, new[] { new ShapesObject(color, shape, size, position) });

    [Fact]
    public void A_blank_image_gets_nothing_right_but_its_background()
    {
        var blank = Blank();
        var s = ShapesScorer.Score(ShapesScorer.Detect(blank, 64), ShapesDescription.Of(Scene(ShapesColor.Red, ShapesShape.Circle)));
        Assert.Equal(true, s.Background);
        Assert.Equal(false, s.Color);
        Assert.Equal(false, s.Shape);
        Assert.Equal(false, s.Size);
        Assert.Equal(false, s.Position);
    }

    [Fact]
    public void Noise_is_not_a_shape()
    {
        var random = new Random(5);
        var noise = new byte[64 * 64 * 3];
        random.NextBytes(noise);
        foreach (var shape in new[] { ShapesShape.Circle, ShapesShape.Square, ShapesShape.Triangle })
            Assert.NotEqual(true, ShapesScorer.Score(ShapesScorer.Detect(noise, 64), ShapesDescription.Of(Scene(ShapesColor.Blue, shape))).Shape);
    }

    [Fact]
    public void A_second_object_of_another_colour_or_a_second_blob_costs_the_shape_verdict()
    {
        var expected = ShapesDescription.Of(Scene(ShapesColor.Red, ShapesShape.Square, ShapesPosition.Left, ShapesSize.Small));
        var one = Renderer.RenderRgb(Scene(ShapesColor.Red, ShapesShape.Square, ShapesPosition.Left, ShapesSize.Small));
        Assert.True(ShapesScorer.Score(ShapesScorer.Detect(one, 64), expected).AllCorrect);

        foreach (var other in new[] { ShapesColor.Blue, ShapesColor.Red })
        {
            var second = Renderer.RenderRgb(Scene(other, ShapesShape.Circle, ShapesPosition.Right, ShapesSize.Small));
            var both = (byte[])one.Clone();
            var gray = ShapesVocabulary.Rgb(ShapesBackground.Gray);
            for (int i = 0; i < 64 * 64; i++)
                if (second[3 * i] != gray.R || second[3 * i + 1] != gray.G || second[3 * i + 2] != gray.B)
                    (both[3 * i], both[3 * i + 1], both[3 * i + 2]) = (second[3 * i], second[3 * i + 1], second[3 * i + 2]);
            var seen = ShapesScorer.Detect(both, 64);
            Assert.Equal(2, seen.Objects.Count);
            var score = ShapesScorer.Score(seen, expected);
            Assert.Equal(1, score.ExtraObjects);
            Assert.Equal(false, score.Shape);
            Assert.Equal(true, score.Color);     // the square itself is still found, where it was drawn
            Assert.Equal(true, score.Position);
        }
    }

    [Fact]
    public void A_wrong_shape_is_wrong_and_a_shapeless_blob_is_no_shape()
    {
        var circle = Renderer.RenderRgb(Scene(ShapesColor.Yellow, ShapesShape.Circle));
        Assert.Equal(false, ShapesScorer.Score(ShapesScorer.Detect(circle, 64), ShapesDescription.Of(Scene(ShapesColor.Yellow, ShapesShape.Square))).Shape);
        Assert.Equal(true, ShapesScorer.Score(ShapesScorer.Detect(circle, 64), ShapesDescription.Of(Scene(ShapesColor.Yellow, ShapesShape.Circle))).Shape);

        // A wide bar (4:1) fills its box like a square, but a square (and a circle) is as wide as tall: no shape.
        var bar = Blank();
        var yellow = ShapesVocabulary.Rgb(ShapesColor.Yellow);
        for (int y = 28; y < 36; y++)
            for (int x = 16; x < 48; x++)
                (bar[3 * (y * 64 + x)], bar[3 * (y * 64 + x) + 1], bar[3 * (y * 64 + x) + 2]) = yellow;
        var seen = ShapesScorer.Detect(bar, 64);
        Assert.Single(seen.Objects);
        Assert.Null(seen.Objects[0].Shape);
        foreach (var shape in new[] { ShapesShape.Circle, ShapesShape.Square, ShapesShape.Triangle })
            Assert.Equal(false, ShapesScorer.Score(seen, ShapesDescription.Of(Scene(ShapesColor.Yellow, shape))).Shape);
    }

    [Fact]
    public void A_lightly_blurred_render_keeps_its_colour_size_and_position()
    {
        foreach (var shape in new[] { ShapesShape.Circle, ShapesShape.Square, ShapesShape.Triangle })
        {
            var scene = Scene(ShapesColor.Blue, shape, ShapesPosition.Top);
            var sharp = Renderer.RenderRgb(scene);
            var blurred = new byte[sharp.Length];
            for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
            for (int c = 0; c < 3; c++)
            {
                int sum = 0, n = 0;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = Math.Clamp(x + dx, 0, 63), ny = Math.Clamp(y + dy, 0, 63);
                    sum += sharp[3 * (ny * 64 + nx) + c];
                    n++;
                }
                blurred[3 * (y * 64 + x) + c] = (byte)(sum / n);
            }
            var s = ShapesScorer.Score(ShapesScorer.Detect(blurred, 64), ShapesDescription.Of(scene));
            Assert.Equal(true, s.Color);
            Assert.Equal(true, s.Size);
            Assert.Equal(true, s.Position);
            _out.WriteLine($"{shape}, 3×3 box blur: shape {s.Shape}");
        }
    }
}
