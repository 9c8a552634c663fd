using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Fashion-MNIST (Zalando; 28×28 grey product photos, 10 classes) read from its IDX files, upsampled and padded to
/// square RGB images, with captions made from the class names.
/// </summary>
public sealed class FashionMnistDataset
{
    /// <summary>The class names, indexed by label (<c>ClassId</c>).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot",
    };

    // The noun captions use: "a photo of a t-shirt/top" reads badly.
    private static readonly string[] CaptionNouns =
    {
        "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot",
    };

    private static readonly string[] Templates =
    {
        "a photo of {0}", "a grey picture of {0}", "a black and white photo of {0}", "a picture of {0}",
        "an image of {0} on a black background", "a small grey photo of {0}", "a product photo of {0}", "{0}",
    };

    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly int _inner, _offset;

    /// <summary>Reads the split's IDX files; images are converted only when read.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">An IDX file is missing.</exception>
    /// <exception cref="InvalidDataException">An IDX file is malformed (the message names the file and offset).</exception>
    public FashionMnistDataset(FashionMnistOptions? options = null)
    {
        Options = options ?? new FashionMnistOptions();
        Options.Validate();
        string prefix = Options.Split == DatasetSplit.Train ? "train" : "t10k";
        if (!Directory.Exists(Options.Folder))
            throw new DirectoryNotFoundException(
                $"Fashion-MNIST folder '{Options.Folder}' not found. Install Debian's package (apt-get install dataset-fashion-mnist) or set FashionMnistOptions.Folder to a folder with {prefix}-images-idx3-ubyte.gz and {prefix}-labels-idx1-ubyte.gz.");
        var (imageDims, pixels) = IdxFile.Read(Find(prefix, "images", 3), 3);
        string labelPath = Find(prefix, "labels", 1);
        var (labelDims, labels) = IdxFile.Read(labelPath, 1);
        if (imageDims[1] != 28 || imageDims[2] != 28)
            throw new InvalidDataException($"Fashion-MNIST images are 28x28; '{Options.Folder}' has {imageDims[1]}x{imageDims[2]}.");
        if (labelDims[0] != imageDims[0])
            throw new InvalidDataException($"Fashion-MNIST: {imageDims[0]} images but {labelDims[0]} labels in '{Options.Folder}'.");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= ClassNames.Count)
                throw new InvalidDataException($"IDX file '{labelPath}': label {labels[i]} at offset {8 + i} is not a class (0-9).");
        _pixels = pixels;
        _labels = labels;
        Count = Math.Min(labels.Length, Options.MaxImages ?? int.MaxValue);
        int size = Options.ImageSize;
        _offset = (int)Math.Round(size * Options.Padding);
        _inner = size - 2 * _offset;
    }

    /// <summary>The options.</summary>
    public FashionMnistOptions Options { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>The label (class id, 0-9) of image <paramref name="index"/>.</summary>
    public int Label(int index) => _labels[CheckIndex(index)];

    /// <summary>The original 28×28 grey pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Original(int index) => _pixels.AsSpan(CheckIndex(index) * 784, 784);

    /// <summary>Image <paramref name="index"/> as a square RGB <see cref="MLImage"/> of side <see cref="FashionMnistOptions.ImageSize"/>.</summary>
    public MLImage Image(int index) =>
        RgbImage.FromRgb(Options.ImageSize, Options.ImageSize, RenderRgb(index));

    /// <summary>Image <paramref name="index"/> as packed RGB bytes (bilinear upsampling into a black border).</summary>
    public byte[] RenderRgb(int index)
    {
        var src = Original(index);
        int size = Options.ImageSize;
        var rgb = new byte[size * size * 3];
        float scale = 28f / _inner;
        for (int y = 0; y < _inner; y++)
        {
            float sy = Math.Clamp((y + 0.5f) * scale - 0.5f, 0, 27);
            int y0 = (int)sy, y1 = Math.Min(27, y0 + 1);
            float fy = sy - y0;
            for (int x = 0; x < _inner; x++)
            {
                float sx = Math.Clamp((x + 0.5f) * scale - 0.5f, 0, 27);
                int x0 = (int)sx, x1 = Math.Min(27, x0 + 1);
                float fx = sx - x0;
                float v = (src[y0 * 28 + x0] * (1 - fx) + src[y0 * 28 + x1] * fx) * (1 - fy)
                        + (src[y1 * 28 + x0] * (1 - fx) + src[y1 * 28 + x1] * fx) * fy;
                byte b = (byte)MathF.Round(v);
                int o = 3 * ((y + _offset) * size + x + _offset);
                rgb[o] = rgb[o + 1] = rgb[o + 2] = b;
            }
        }
        return rgb;
    }

    /// <summary>The captions of image <paramref name="index"/>; the first is "a photo of a/an {class}".</summary>
    public IReadOnlyList<string> Captions(int index)
    {
        string noun = CaptionNouns[Label(index)];
        string withArticle = ("aeiou".Contains(noun[0]) ? "an " : "a ") + noun;
        var rng = new SplitMix64(Options.Seed, index, 0x464D /* "FM" */);
        var captions = new string[Options.CaptionsPerImage];
        for (int i = 0; i < captions.Length; i++)
            captions[i] = string.Format(System.Globalization.CultureInfo.InvariantCulture,
                Templates[i == 0 ? 0 : 1 + rng.Next(Templates.Length - 1)], withArticle);
        return captions;
    }

    /// <summary>The set as an <see cref="IDataView"/>; see <c>LoadFashionMnist</c> for the columns.</summary>
    public IDataView ToDataView()
    {
        int cpi = Options.CaptionsPerImage;
        return new DatasetView((long)Count * cpi, new[]
        {
            DatasetColumn.Text("Caption", r => Captions((int)(r / cpi))[(int)(r % cpi)]),
            DatasetColumn.Image("Image", new ImageDataViewType(Options.ImageSize, Options.ImageSize), r => Image((int)(r / cpi))),
            DatasetColumn.Int32("ImageId", r => (int)(r / cpi)),
            DatasetColumn.Int32("ClassId", r => Label((int)(r / cpi))),
            DatasetColumn.Text("Label", r => ClassNames[Label((int)(r / cpi))]),
            DatasetColumn.Text("Split", _ => Options.Split == DatasetSplit.Train ? "train" : "test"),
        });
    }

    private int CheckIndex(int index) =>
        (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"Image index must be in [0, {Count}).");

    private string Find(string prefix, string kind, int rank)
    {
        // The original distribution's names, gzip or not; some mirrors write "images.idx3" with a dot.
        foreach (var name in new[] { $"{prefix}-{kind}-idx{rank}-ubyte.gz", $"{prefix}-{kind}-idx{rank}-ubyte", $"{prefix}-{kind}.idx{rank}-ubyte" })
        {
            var path = Path.Combine(Options.Folder, name);
            if (File.Exists(path)) return path;
        }
        var expected = Path.Combine(Options.Folder, $"{prefix}-{kind}-idx{rank}-ubyte.gz");
        throw new FileNotFoundException(
            $"Fashion-MNIST file '{expected}' not found (expected the IDX {kind} of the {Options.Split} split, gzip or not). Install dataset-fashion-mnist or fix FashionMnistOptions.Folder.",
            expected);
    }
}
