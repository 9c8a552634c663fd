using Microsoft.ML.Data;
using System.IO.Compression;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class TextEmbedPersistenceTests : IClassFixture<FittedStemFixture>
{
    private readonly FittedStemFixture _f;

    public TextEmbedPersistenceTests(FittedStemFixture fixture) => _f = fixture;

    [Fact]
    public void Saved_model_gives_identical_output_in_process_and_in_a_fresh_process()
    {
        var ml = _f.Ml;
        // Captions only: an image column cannot be written to .idv for the child process.
        var data = StemTestData.Captions(ml, "a small red circle on the left", "a big green triangle at the top on a black background", "zebra", "a");
        var expected = _f.Model.Transform(data);
        var sentences = expected.GetColumn<float[]>("SentenceFeature").ToArray();
        var words = expected.GetColumn<float[]>("WordFeatures").ToArray();
        var counts = expected.GetColumn<int>("WordCount").ToArray();

        using var dir = TestPaths.NewTempDir();
        string zip = dir.File("stem.zip"), input = dir.File("input.idv"), output = dir.File("output.idv");
        ml.Model.Save(_f.Model, data.Schema, zip);
        using (var archive = ZipFile.OpenRead(zip))
            foreach (var entry in new[] { "Vocabulary.bin", "TextEncoder.bin", "ImageEncoder.bin" })
                Assert.Contains(archive.Entries, e => e.FullName.EndsWith(entry, StringComparison.Ordinal));

        var reloaded = (TextEmbedTransformer)ml.Model.Load(zip, out _);
        Assert.Equal(_f.Model.Vocabulary, reloaded.Vocabulary);
        Assert.Equal(sentences, reloaded.Transform(data).GetColumn<float[]>("SentenceFeature").ToArray());

        using (var s = File.Create(input)) ml.Data.SaveAsBinary(data, s);
        var (code, log) = ChildProcess.RunDotnet(TestPaths.ModelLoadHost, TimeSpan.FromMinutes(2), zip, input, output);
        Assert.True(code == 0, log);
        var fresh = ml.Data.LoadFromBinary(output);
        Assert.Equal(sentences, fresh.GetColumn<float[]>("SentenceFeature").ToArray());
        Assert.Equal(words, fresh.GetColumn<float[]>("WordFeatures").ToArray());
        Assert.Equal(counts, fresh.GetColumn<int>("WordCount").ToArray());
    }

    [Fact]
    public void Reloaded_model_keeps_the_image_path()
    {
        var withImages = _f.Model.WithImageColumn("Image");
        using var dir = TestPaths.NewTempDir();
        string zip = dir.File("stem-images.zip");
        _f.Ml.Model.Save(withImages, null, zip);
        var reloaded = _f.Ml.Model.Load(zip, out _);
        var a = withImages.Transform(_f.Train).GetColumn<float[]>("ImageFeature").Take(8).ToArray();
        var b = reloaded.Transform(_f.Train).GetColumn<float[]>("ImageFeature").Take(8).ToArray();
        Assert.Equal(a, b);
    }
}
