using Microsoft.ML.MirrorGan.Backbones;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.Tests.StreamCaptioner;

/// <summary>A row naming an image file, for ML.NET's LoadImages.</summary>
internal sealed class PathRow
{
    public string ImagePath { get; set; } = "";
}

public class StreamPersistenceTests
{
    /// <summary>The smallest captioner these tests train: enough to caption, fast to fit.</summary>
    internal static StreamCaptionerOptions SmallCaptionerOptions(int epochs)
    {
        var o = StreamCaptionerOptions.Tiny();
        o.ImageSize = StreamTestData.Size;
        o.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        o.EmbedSize = 16;
        o.HiddenSize = 32;
        o.Epochs = epochs;
        return o;
    }

    [Fact]
    public void Captioner_saves_and_loads_in_process_and_in_a_fresh_process_with_identical_captions()
    {
        var ml = new MLContext(seed: 1);
        var o = SmallCaptionerOptions(epochs: 2);
        o.BeamWidth = 2;
        var captioner = ml.Transforms.StreamCaptioner(o).Fit(ml.Data.LoadFromEnumerable(StreamTestData.Rows(1)));

        using var dir = TestPaths.NewTempDir();
        var names = new List<PathRow>();
        for (int i = 0; i < 6; i++)
        {
            string name = $"img{i}.png";
            File.WriteAllBytes(dir.File(name), ImageTensor.ToPng(StreamTestData.Pixels(i % 3, i % 2, (i / 3) % 2), StreamTestData.Size));
            names.Add(new PathRow { ImagePath = name });
        }
        var paths = ml.Data.LoadFromEnumerable(names);
        var loader = ml.Transforms.LoadImages("Image", dir.Path, "ImagePath").Fit(paths);
        var withImages = loader.Transform(paths);
        var expected = captioner.Transform(withImages);
        var captions = expected.GetColumn<string>("GeneratedCaption").ToArray();
        var scores = expected.GetColumn<float>("CaptionScore").ToArray();

        string zip = dir.File("stream.zip"), input = dir.File("in.idv"), output = dir.File("out.idv");
        ml.Model.Save(captioner, withImages.Schema, zip);
        using (var archive = ZipFile.OpenRead(zip))
        {
            Assert.Contains(archive.Entries, e => e.FullName.EndsWith("StreamCaptionNet.bin", StringComparison.Ordinal));
            Assert.Contains(archive.Entries, e => e.FullName.EndsWith("Vocabulary.bin", StringComparison.Ordinal));
        }
        var reloaded = (StreamCaptionerTransformer)ml.Model.Load(zip, out _);
        Assert.Equal(captioner.Vocabulary.Fingerprint, reloaded.Vocabulary.Fingerprint);
        Assert.Equal(2, reloaded.BeamWidth);
        var again = reloaded.Transform(withImages);
        Assert.Equal(captions, again.GetColumn<string>("GeneratedCaption").ToArray());
        Assert.Equal(scores, again.GetColumn<float>("CaptionScore").ToArray());

        using (var s = File.Create(input)) ml.Data.SaveAsBinary(paths, s);
        var (code, log) = ChildProcess.RunDotnet(TestPaths.ModelLoadHost, TimeSpan.FromMinutes(2), zip, input, output, dir.Path);
        Assert.True(code == 0, log);
        var fresh = ml.Data.LoadFromBinary(output);
        Assert.Equal(captions, fresh.GetColumn<string>("GeneratedCaption").ToArray());
        Assert.Equal(scores, fresh.GetColumn<float>("CaptionScore").ToArray());
    }
}

public class StreamCorruptImageTests
{
    [Fact]
    public void A_corrupt_image_file_fails_with_a_clear_error()
    {
        var ml = new MLContext(seed: 1);
        var captioner = ml.Transforms.StreamCaptioner(StreamPersistenceTests.SmallCaptionerOptions(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(StreamTestData.Rows(1)));
        using var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(dir.File("good.png"), ImageTensor.ToPng(StreamTestData.Pixels(0, 0, 0), StreamTestData.Size));
        File.WriteAllBytes(dir.File("bad.png"), new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5 });
        var paths = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = "good.png" }, new PathRow { ImagePath = "bad.png" } });
        var images = ml.Transforms.LoadImages("Image", dir.Path, "ImagePath").Fit(paths).Transform(paths);
        var e = Assert.ThrowsAny<Exception>(() => captioner.Transform(images).GetColumn<string>("GeneratedCaption").ToArray());
        // ML.NET's loader says only "Invalid input stream contents"; the batch reader adds the row and column.
        var all = string.Join(" | ", Flatten(e).Select(x => x.Message));
        Assert.Contains("Row 1", all);
        Assert.Contains("'Image'", all);
        Assert.Contains("cannot be decoded", all);
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }
}
