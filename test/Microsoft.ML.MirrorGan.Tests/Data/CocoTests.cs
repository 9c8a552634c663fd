using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class CocoTests
{
    [Fact]
    public void LoadsCaptionsPerImage_ClassIdIsImageId()
    {
        using var dir = TestPaths.NewTempDir();
        DatasetFixtures.WriteCoco(dir.Path);
        var view = new MLContext(0).Data.LoadCocoCaptions(new CocoOptions { Root = dir.Path, Split = DatasetSplit.Test, ImageSize = 16 });
        Assert.Equal(3, view.GetRowCount());
        Assert.Equal(new[] { "A cat sitting on a mat.", "An orange picture.", "Un café près de la gare." },
            view.GetColumn<ReadOnlyMemory<char>>("Caption").Select(c => c.ToString()));
        Assert.Equal(new[] { 42, 42, 7 }, view.GetColumn<int>("ImageId"));
        Assert.Equal(new[] { 42, 42, 7 }, view.GetColumn<int>("ClassId"));
        var images = view.GetColumn<MLImage>("Image").ToList();
        Assert.All(images, i => Assert.Equal((16, 16), (i.Width, i.Height)));
        Assert.True(RgbImage.ToRgb(images[0])[0] > 200);
    }

    [Fact]
    public void MalformedJsonNamesFileAndPosition()
    {
        using var dir = TestPaths.NewTempDir();
        DatasetFixtures.WriteCoco(dir.Path);
        string json = Path.Combine(dir.Path, "annotations", "captions_val2014.json");
        File.WriteAllText(json, "{\"images\": [\n  {\"id\": 1,, }\n]}");
        var e = Assert.Throws<InvalidDataException>(() => new CocoDataset(new CocoOptions { Root = dir.Path, Split = DatasetSplit.Test }));
        Assert.Contains(json, e.Message);
        Assert.Contains("line 2", e.Message);

        File.WriteAllText(json, "{\"images\": [], \"annotations\": [{\"image_id\": \"x\"}]}");
        var s = Assert.Throws<InvalidDataException>(() => new CocoDataset(new CocoOptions { Root = dir.Path, Split = DatasetSplit.Test }));
        Assert.Contains("annotations[0].image_id", s.Message);
    }

    [Fact]
    public void MissingAnnotationFileNamesIt()
    {
        using var dir = TestPaths.NewTempDir();
        var e = Assert.Throws<FileNotFoundException>(() => new CocoDataset(new CocoOptions { Root = dir.Path }));
        Assert.Contains(Path.Combine(dir.Path, "annotations", "captions_train2014.json"), e.Message);
    }
}
