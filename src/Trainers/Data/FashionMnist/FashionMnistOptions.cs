namespace Microsoft.ML.MirrorGan.Data;

/// <summary>Which half of a dataset.</summary>
public enum DatasetSplit
{
    /// <summary>The training split.</summary>
    Train,
    /// <summary>The test split.</summary>
    Test,
}

/// <summary>Options of the Fashion-MNIST loader (<c>LoadFashionMnist</c>).</summary>
public sealed class FashionMnistOptions
{
    /// <summary>Folder Debian's <c>dataset-fashion-mnist</c> package installs to (<c>apt-get install dataset-fashion-mnist</c>).</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// Folder with the IDX files under their original names (<c>train-images-idx3-ubyte.gz</c>,
    /// <c>train-labels-idx1-ubyte.gz</c>, <c>t10k-...</c>; gzip or not). Default <see cref="DebianFolder"/>.
    /// </summary>
    public string Folder { get; set; } = DebianFolder;

    /// <summary>Train (60,000 images) or test (10,000). Default train.</summary>
    public DatasetSplit Split { get; set; } = DatasetSplit.Train;

    /// <summary>Side of the square RGB output images; the 28×28 grey image is upsampled and padded to it. Default 64.</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>Black border on each side, as a fraction of <see cref="ImageSize"/>. Default 0.0625 (4 px at 64).</summary>
    public double Padding { get; set; } = 0.0625;

    /// <summary>Captions (rows) per image; the first is "a photo of a ...". Default 5.</summary>
    public int CaptionsPerImage { get; set; } = 5;

    /// <summary>Use only the first this many images (null: all).</summary>
    public int? MaxImages { get; set; }

    /// <summary>Seed of the caption template choice. Default 0.</summary>
    public int Seed { get; set; }

    internal void Validate()
    {
        if (ImageSize is < 8 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "FashionMnistOptions.ImageSize must be between 8 and 1024.");
        if (Padding is < 0 or >= 0.5 || double.IsNaN(Padding))
            throw new ArgumentOutOfRangeException(nameof(Padding), Padding, "FashionMnistOptions.Padding must be in [0, 0.5).");
        if (CaptionsPerImage < 1)
            throw new ArgumentOutOfRangeException(nameof(CaptionsPerImage), CaptionsPerImage, "FashionMnistOptions.CaptionsPerImage must be at least 1.");
        if (MaxImages < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxImages), MaxImages, "FashionMnistOptions.MaxImages must be 0 or more.");
    }
}
