namespace Microsoft.ML.MirrorGan.Data;

/// <summary>Options shared by the loaders of datasets stored as image files with caption files (CUB, COCO).</summary>
public abstract class ImageFolderOptions
{
    /// <summary>Side of the square output images; 0 keeps each image's (cropped) size. Default 0.</summary>
    public int ImageSize { get; set; }

    /// <summary>At most this many captions (rows) per image, the first non-empty lines in file order.</summary>
    public abstract int CaptionsPerImage { get; set; }

    /// <summary>Use only the first this many images of the split (null: all).</summary>
    public int? MaxImages { get; set; }

    /// <summary>
    /// False (default): a corrupt, unreadable or missing image throws when its row is read, naming the file.
    /// True: such rows are skipped, each bad image is reported once to <see cref="Log"/> and counted.
    /// </summary>
    public bool SkipUnreadableImages { get; set; }

    /// <summary>Where skipped images and other notes are reported (null: nowhere).</summary>
    public Action<string>? Log { get; set; }

    internal void ValidateCommon(string owner)
    {
        if (ImageSize is < 0 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, $"{owner}.ImageSize must be 0 (keep) or up to 4096.");
        if (CaptionsPerImage < 1)
            throw new ArgumentOutOfRangeException(nameof(CaptionsPerImage), CaptionsPerImage, $"{owner}.CaptionsPerImage must be at least 1.");
        if (MaxImages < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxImages), MaxImages, $"{owner}.MaxImages must be 0 or more.");
    }
}
