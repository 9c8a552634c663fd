using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;
using Xunit.Abstractions;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class FashionMnistTests
{
    private readonly ITestOutputHelper _out;

    public FashionMnistTests(ITestOutputHelper output) => _out = output;

    // CI installs dataset-fashion-mnist (build/apt-packages.txt): a missing package fails here, it does not skip.
    [Fact]
    public void LoadsDebiansPackage()
    {
        Assert.True(Directory.Exists(FashionMnistOptions.DebianFolder),
            $"{FashionMnistOptions.DebianFolder} missing: run 'apt-get install dataset-fashion-mnist' (build/test.sh does it as root).");
        var sw = Stopwatch.StartNew();
        var ml = new MLContext(0);
        var view = ml.Data.LoadFashionMnist(new FashionMnistOptions { Split = DatasetSplit.Test });
        _out.WriteLine($"Fashion-MNIST test split opened in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(10_000 * 5, view.GetRowCount());
        var classes = view.GetColumn<int>("ClassId").ToArray();
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(5000, classes.Count(x => x == c)));

        sw.Restart();
        var train = new FashionMnistDataset();
        _out.WriteLine($"Fashion-MNIST train split (60000 images) opened in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(60_000, train.Count);
        // Train image 0 is an ankle boot (label 9) in the original distribution.
        Assert.Equal(9, train.Label(0));
        Assert.Equal("a photo of an ankle boot", train.Captions(0)[0]);
        using var image = train.Image(0);
        Assert.Equal(64, image.Width);
        var rgb = RgbImage.ToRgb(image);
        Assert.Equal(0, rgb[0]);
        Assert.True(rgb.Max() > 200);
        Assert.All(Enumerable.Range(0, 64 * 64), i => Assert.True(rgb[3 * i] == rgb[3 * i + 1] && rgb[3 * i] == rgb[3 * i + 2]));
    }

    [Fact]
    public void ReadsFixtureFiles_GzipOrNot_AndMakesCaptions()
    {
        using var dir = TestPaths.NewTempDir();
        WriteIdx(dir.File("t10k-images-idx3-ubyte.gz"), gzip: true, Header(3, 3, 28, 28), Enumerable.Range(0, 3 * 784).Select(i => (byte)(i % 251)).ToArray());
        WriteIdx(dir.File("t10k-labels-idx1-ubyte"), gzip: false, Header(1, 3), new byte[] { 7, 0, 8 });
        var d = new FashionMnistDataset(new FashionMnistOptions { Folder = dir.Path, Split = DatasetSplit.Test, ImageSize = 32, Padding = 0.125 });
        Assert.Equal(3, d.Count);
        Assert.Equal("a photo of a sneaker", d.Captions(0)[0]);
        Assert.All(d.Captions(2), c => Assert.Contains("a bag", c));
        var rgb = d.RenderRgb(1);
        Assert.Equal(0, rgb[3 * (3 * 32 + 3)]);
        Assert.NotEqual(0, rgb[3 * (16 * 32 + 16)]);

        var view = new MLContext(0).Data.LoadFashionMnist(new FashionMnistOptions { Folder = dir.Path, Split = DatasetSplit.Test, CaptionsPerImage = 2 });
        Assert.Equal(new[] { 7, 7, 0, 0, 8, 8 }, view.GetColumn<int>("ClassId").ToArray());
        Assert.Equal("sneaker", view.GetColumn<ReadOnlyMemory<char>>("Label").First().ToString());
        Assert.Equal(new[] { 0, 0, 1, 1, 2, 2 }, view.GetColumn<int>("ImageId").ToArray());
    }

    [Fact]
    public void MissingFolderOrFileNamesThePath()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => new FashionMnistDataset(new FashionMnistOptions { Folder = "/nonexistent/fm" }));
        Assert.Contains("/nonexistent/fm", e.Message);
        Assert.Contains("dataset-fashion-mnist", e.Message);
        using var dir = TestPaths.NewTempDir();
        var f = Assert.Throws<FileNotFoundException>(() => new FashionMnistDataset(new FashionMnistOptions { Folder = dir.Path }));
        Assert.Contains(Path.Combine(dir.Path, "train-images-idx3-ubyte.gz"), f.Message);
    }

    [Fact]
    public void MalformedIdxNamesFileAndOffset()
    {
        using var dir = TestPaths.NewTempDir();
        WriteIdx(dir.File("train-labels-idx1-ubyte.gz"), gzip: true, Header(1, 1), new byte[] { 1 });
        var images = dir.File("train-images-idx3-ubyte.gz");

        WriteIdx(images, gzip: true, new byte[] { 0, 0, 9, 3 }, Array.Empty<byte>());
        var bad = Assert.Throws<InvalidDataException>(() => new FashionMnistDataset(new FashionMnistOptions { Folder = dir.Path }));
        Assert.Contains(images, bad.Message);
        Assert.Contains("offset 0", bad.Message);

        WriteIdx(images, gzip: true, Header(3, 2, 28, 28), new byte[784]);
        var truncated = Assert.Throws<InvalidDataException>(() => new FashionMnistDataset(new FashionMnistOptions { Folder = dir.Path }));
        Assert.Contains(images, truncated.Message);
        Assert.Contains("truncated", truncated.Message);

        File.WriteAllBytes(images, new byte[] { 0x1F, 0x8B, 1, 2, 3 });
        var corrupt = Assert.Throws<InvalidDataException>(() => new FashionMnistDataset(new FashionMnistOptions { Folder = dir.Path }));
        Assert.Contains(images, corrupt.Message);
    }

    private static byte[] Header(int rank, params int[] dims) =>
        new byte[] { 0, 0, 8, (byte)rank }.Concat(dims.SelectMany(d => new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d })).ToArray();

    private static void WriteIdx(string path, bool gzip, byte[] header, byte[] data)
    {
        using var file = File.Create(path);
        using Stream s = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        s.Write(header);
        s.Write(data);
    }
}
