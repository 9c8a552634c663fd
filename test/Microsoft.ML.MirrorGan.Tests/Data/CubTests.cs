using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class CubTests
{
    [Fact]
    public void TrainSplitFromPickle_RowsCaptionsClassesAndCrop()
    {
        using var dir = TestPaths.NewTempDir();
        DatasetFixtures.WriteCub(dir.Path);
        var view = new MLContext(0).Data.LoadCub(new CubOptions { Root = dir.Path });
        Assert.Equal(20, view.GetRowCount());
        var captions = view.GetColumn<ReadOnlyMemory<char>>("Caption").Select(c => c.ToString()).ToArray();
        Assert.Equal(DatasetFixtures.NonAsciiCaption.Normalize(NormalizationForm.FormC), captions[0]);
        Assert.Equal("bird one caption 2", captions[1]);
        Assert.DoesNotContain("", captions);
        Assert.DoesNotContain("an eleventh line beyond ten", captions);
        Assert.Equal("bird two caption 1", captions[10]);
        Assert.Equal(Enumerable.Repeat(1, 10).Concat(Enumerable.Repeat(2, 10)), view.GetColumn<int>("ClassId"));
        Assert.Equal(Enumerable.Repeat(1, 10).Concat(Enumerable.Repeat(2, 10)), view.GetColumn<int>("ImageId"));
        Assert.Equal(new float[] { 30, 20, 40, 20 }, view.GetColumn<VBuffer<float>>("BoundingBox").First().DenseValues());
        Assert.Equal("train", view.GetColumn<ReadOnlyMemory<char>>("Split").First().ToString());

        var cub = new CubDataset(new CubOptions { Root = dir.Path });
        using var crop = cub.LoadImage(0);
        // Box (30,20,40,20): r = 30, centre (50,30) → square 20..80 × 0..60, clipped at the top.
        Assert.Equal((60, 60), (crop.Width, crop.Height));
        var rgb = RgbImage.ToRgb(crop);
        int centre = 3 * (30 * 60 + 30);
        Assert.True(rgb[centre] > 180 && rgb[centre + 1] < 80, "box colour at the crop centre");
        int corner = 3 * (59 * 60 + 1);
        Assert.True(rgb[corner + 1] > 80 && rgb[corner] < 80, "background outside the box");

        using var sized = new CubDataset(new CubOptions { Root = dir.Path, ImageSize = 32 }).LoadImage(0);
        Assert.Equal((32, 32), (sized.Width, sized.Height));
    }

    [Fact]
    public void CropMatchesAttnGan()
    {
        Assert.Equal(new SkiaSharp.SKRectI(20, 0, 80, 60), CubDataset.BoxCrop(30, 20, 40, 20));
        // int(max(w,h)*0.75) truncates: 0.75*45.5 = 34.125 → 34; centre (int(110.25), int(97.25)) = (110, 97).
        Assert.Equal(new SkiaSharp.SKRectI(76, 63, 144, 131), CubDataset.BoxCrop(87.5f, 77.25f, 45.5f, 40f));
    }

    [Fact]
    public void AllImages_GreyAndAlphaBecomeRgb_PlainSplitList()
    {
        using var dir = TestPaths.NewTempDir();
        DatasetFixtures.WriteCub(dir.Path);
        var all = new CubDataset(new CubOptions { Root = dir.Path, Split = null, CropToBoundingBox = false });
        Assert.Equal(3, all.Images.Count);
        Assert.Equal(30, all.RowCount);
        Assert.Equal("bird three caption 1", all.Images[2].Captions[0]);

        var grey = RgbImage.ToRgb(all.LoadImage(1));
        Assert.All(Enumerable.Range(0, grey.Length / 3), i => Assert.True(grey[3 * i] == grey[3 * i + 1] && grey[3 * i + 1] == grey[3 * i + 2]));
        Assert.InRange(grey[0], 80, 100);

        using var alpha = all.LoadImage(2);
        var px = RgbImage.ToRgb(alpha);
        Assert.Equal(new byte[] { 255, 255, 255 }, px[..3]);
        int right = 3 * (10 * 50 + 40);
        Assert.Equal(new byte[] { 0, 0, 200 }, px[right..(right + 3)]);

        File.WriteAllText(dir.File("split.txt"), $"{DatasetFixtures.Bird3}.jpg\n\n");
        var custom = new CubDataset(new CubOptions { Root = dir.Path, SplitFile = dir.File("split.txt") });
        Assert.Equal(3, custom.Images.Single().ImageId);
    }

    [Fact]
    public void CorruptImageThrowsByDefault_OrIsSkippedAndLogged()
    {
        using var dir = TestPaths.NewTempDir();
        DatasetFixtures.WriteCub(dir.Path);
        string bad = Path.Combine(dir.Path, "CUB_200_2011", "images", DatasetFixtures.Bird1 + ".jpg");
        File.WriteAllBytes(bad, Encoding.ASCII.GetBytes("this is not a jpeg"));
        var ml = new MLContext(0);

        var strict = ml.Data.LoadCub(new CubOptions { Root = dir.Path });
        var e = Assert.ThrowsAny<Exception>(() => strict.GetColumn<MLImage>("Image").ToList());
        Assert.Contains(bad, Flatten(e));

        var log = new List<string>();
        var options = new CubOptions { Root = dir.Path, SkipUnreadableImages = true, Log = log.Add };
        var cub = new CubDataset(options);
        var lenient = cub.ToDataView();
        var ids = new List<int>();
        using (var cursor = lenient.GetRowCursor(lenient.Schema))
        {
            var image = cursor.GetGetter<MLImage>(lenient.Schema["Image"]);
            var id = cursor.GetGetter<int>(lenient.Schema["ImageId"]);
            MLImage img = null!;
            int value = 0;
            while (cursor.MoveNext())
            {
                image(ref img);
                id(ref value);
                ids.Add(value);
            }
        }
        Assert.Equal(Enumerable.Repeat(2, 10), ids);
        Assert.Equal(1, cub.SkippedImageCount);
        Assert.Contains(bad, Assert.Single(log));
        // Rows that do not read images never decode them, so nothing is skipped there.
        Assert.Equal(20, lenient.GetColumn<int>("ImageId").Count());
    }

    [Fact]
    public void MissingFilesAndFoldersNameThePath()
    {
        using var dir = TestPaths.NewTempDir();
        var e = Assert.Throws<DirectoryNotFoundException>(() => new CubDataset(new CubOptions { Root = dir.Path }));
        Assert.Contains(Path.Combine(dir.Path, "CUB_200_2011"), e.Message);

        DatasetFixtures.WriteCub(dir.Path);
        string captions = Path.Combine(dir.Path, "text", DatasetFixtures.Bird2 + ".txt");
        File.Delete(captions);
        var f = Assert.Throws<FileNotFoundException>(() => new CubDataset(new CubOptions { Root = dir.Path }));
        Assert.Contains(captions, f.Message);

        File.Delete(Path.Combine(dir.Path, "test", "filenames.pickle"));
        var s = Assert.Throws<FileNotFoundException>(() => new CubDataset(new CubOptions { Root = dir.Path, Split = DatasetSplit.Test }));
        Assert.Contains(Path.Combine(dir.Path, "test", "filenames.pickle"), s.Message);

        File.WriteAllText(Path.Combine(dir.Path, "CUB_200_2011", "bounding_boxes.txt"), "1 30.0 20.0 40.0\n");
        var m = Assert.Throws<InvalidDataException>(() => new CubDataset(new CubOptions { Root = dir.Path, Split = null }));
        Assert.Contains("bounding_boxes.txt' line 1", m.Message);
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}
