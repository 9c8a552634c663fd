using System.Security.Cryptography;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class ShapesDatasetTests
{
    [Fact]
    public void SameSeedGivesByteIdenticalPngs_OtherSeedDiffers()
    {
        var a = new ShapesDataset(new ShapesOptions { Seed = 7, TwoObjectRatio = 0.3 });
        var b = new ShapesDataset(new ShapesOptions { Seed = 7, TwoObjectRatio = 0.3 });
        var c = new ShapesDataset(new ShapesOptions { Seed = 8, TwoObjectRatio = 0.3 });
        string Hash(ShapesDataset d) => Convert.ToHexString(SHA256.HashData(
            Enumerable.Range(0, 40).SelectMany(i => d.RenderPng(d.Scene(i))).ToArray()));
        Assert.Equal(Hash(a), Hash(b));
        Assert.NotEqual(Hash(a), Hash(c));
        // Pure function of the index: generating out of order changes nothing.
        Assert.Equal(a.CanonicalCaption(a.Scene(33)), b.CanonicalCaption(b.Scene(33)));
        Assert.Equal(a.Captions(a.Scene(5)), b.Captions(b.Scene(5)));
    }

    [Fact]
    public void CanonicalCaptionsFollowTheSpec()
    {
        var one = new ShapesScene(0, ShapesBackground.White, new[] { new ShapesObject(ShapesColor.Red, ShapesShape.Circle, ShapesSize.Small, ShapesPosition.Left) });
        Assert.Equal("a small red circle on the left on a white background", ShapesCaptions.Canonical(one));
        var two = new ShapesScene(0, ShapesBackground.Black, new[]
        {
            new ShapesObject(ShapesColor.Red, ShapesShape.Circle, ShapesSize.Small, ShapesPosition.Left),
            new ShapesObject(ShapesColor.Blue, ShapesShape.Square, ShapesSize.Small, ShapesPosition.Right),
        });
        Assert.Equal("a small red circle on the left and a small blue square on the right on a black background", ShapesCaptions.Canonical(two));
        Assert.True(ShapesCaptions.TemplateCounts.One >= 8 && ShapesCaptions.TemplateCounts.Two >= 8);
    }

    [Fact]
    public void CaptionsParseBackToTheSceneAttributesTheyState()
    {
        var d = new ShapesDataset(new ShapesOptions { TwoObjectRatio = 0.5, CaptionsPerImage = 10 });
        var templatesSeen = new HashSet<string>();
        foreach (var scene in d.Scenes.Take(300))
        {
            Assert.Equal(ShapesDescription.Of(scene).Objects, ShapesCaptionParser.Parse(d.CanonicalCaption(scene)).Objects);
            foreach (var caption in d.Captions(scene))
            {
                var parsed = ShapesCaptionParser.Parse(caption);
                Assert.True(parsed.Background is null || parsed.Background == scene.Background, caption);
                Assert.True(parsed.Objects.Count == scene.Objects.Count, caption);
                for (int i = 0; i < parsed.Objects.Count; i++)
                {
                    var (p, o) = (parsed.Objects[i], scene.Objects[i]);
                    Assert.True(p.Color == o.Color && p.Shape == o.Shape, caption);
                    Assert.True(p.Size is null || p.Size == o.Size, caption);
                    Assert.True(p.Position is null || p.Position == o.Position, caption);
                }
                templatesSeen.Add(System.Text.RegularExpressions.Regex.Replace(caption, "red|green|blue|yellow|purple|orange", "C"));
            }
        }
        Assert.True(templatesSeen.Count > 16);
    }

    [Fact]
    public void ExcludeHoldsOutPairs_ExcludedOnlyGivesExactlyThem()
    {
        var held = new List<(ShapesColor, ShapesShape)> { (ShapesColor.Purple, ShapesShape.Triangle) };
        var train = new ShapesDataset(new ShapesOptions { Count = 500, Exclude = held, TwoObjectRatio = 0.3 });
        var test = new ShapesDataset(new ShapesOptions { Count = 50, StartIndex = 500, Exclude = held, ExcludedOnly = true });
        Assert.DoesNotContain(train.Scenes, s => s.Objects.Any(o => o.Color == ShapesColor.Purple && o.Shape == ShapesShape.Triangle));
        Assert.All(test.Scenes, s => Assert.Contains(s.Objects, o => o.Color == ShapesColor.Purple && o.Shape == ShapesShape.Triangle));
    }

    [Fact]
    public void DataViewHasTheContractColumnsAndOneRowPerCaption()
    {
        var ml = new MLContext(1);
        var view = ml.Data.LoadMirrorGanShapes(new ShapesOptions { Count = 6, TwoObjectRatio = 0.5, ImageSize = 32 });
        Assert.Equal(30, view.GetRowCount());
        foreach (var col in new[] { "Caption", "Color", "Shape", "Size", "Position", "Color2", "Background" })
            Assert.Equal(TextDataViewType.Instance, view.Schema[col].Type);
        Assert.Equal(NumberDataViewType.Int32, view.Schema["ImageId"].Type);
        Assert.Equal(NumberDataViewType.Int32, view.Schema["ClassId"].Type);
        Assert.IsType<Microsoft.ML.Transforms.Image.ImageDataViewType>(view.Schema["Image"].Type);

        var captions = view.GetColumn<ReadOnlyMemory<char>>("Caption").Select(c => c.ToString()).ToArray();
        var ids = view.GetColumn<int>("ImageId").ToArray();
        var objectCounts = view.GetColumn<int>("ObjectCount").ToArray();
        var color2 = view.GetColumn<ReadOnlyMemory<char>>("Color2").Select(c => c.ToString()).ToArray();
        var ds = new ShapesDataset(new ShapesOptions { Count = 6, TwoObjectRatio = 0.5, ImageSize = 32 });
        for (int r = 0; r < 30; r++)
        {
            Assert.Equal(r / 5, ids[r]);
            Assert.Equal(ds.Captions(ds.Scene(r / 5))[r % 5], captions[r]);
            Assert.Equal(objectCounts[r] == 2, color2[r].Length > 0);
        }
        using var cursor = view.GetRowCursor(view.Schema);
        var image = default(MLImage)!;
        var getter = cursor.GetGetter<MLImage>(view.Schema["Image"]);
        Assert.True(cursor.MoveNext());
        getter(ref image);
        Assert.Equal(32, image.Width);
        Assert.Equal(ds.RenderRgb(ds.Scene(0)), RgbImage.ToRgb(image));
    }

    [Fact]
    public void ImageColumnWorksWithMlNetImageTransforms()
    {
        var ml = new MLContext(1);
        var view = ml.Data.LoadMirrorGanShapes(new ShapesOptions { Count = 3, CaptionsPerImage = 1, ImageSize = 32 });
        var pixels = ml.Transforms.ExtractPixels("Pixels", "Image").Fit(view).Transform(view);
        var first = pixels.GetColumn<VBuffer<float>>("Pixels").First().DenseValues().ToArray();
        Assert.Equal(3 * 32 * 32, first.Length);
        var rgb = new ShapesDataset(new ShapesOptions { ImageSize = 32 }).RenderRgb(new ShapesDataset(new ShapesOptions { ImageSize = 32 }).Scene(0));
        // ExtractPixels is channel-major, red first.
        Assert.Equal(rgb[0], first[0]);
        Assert.Equal(rgb[2], first[2 * 32 * 32]);
    }

    [Fact]
    public void ClassIdIsTheAttributeCombination()
    {
        var d = new ShapesDataset(new ShapesOptions { TwoObjectRatio = 0.4 });
        var byClass = d.Scenes.Take(2000).GroupBy(s => s.ClassId);
        foreach (var g in byClass)
            Assert.Single(g.Select(s => d.CanonicalCaption(s)).Distinct());
        Assert.All(d.Scenes.Take(2000), s => Assert.InRange(s.ClassId, 0, ShapesScene.ClassCount - 1));
        Assert.Equal(2000, d.Scenes.Take(2000).Select(s => s.ClassId).Distinct().Count()
            + d.Scenes.Take(2000).GroupBy(s => s.ClassId).Sum(g => g.Count() - 1));
    }

    [Fact]
    public void OptionsOutOfRangeAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ShapesDataset(new ShapesOptions { ImageSize = 16 }));
        Assert.Contains("ImageSize", e.Message);
    }
}
