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
}
