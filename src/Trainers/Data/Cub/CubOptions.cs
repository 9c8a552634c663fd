namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Options of the CUB-200-2011 loader (<c>LoadCub</c>), in the layout AttnGAN/MirrorGAN users have:
/// <c>{Root}/CUB_200_2011/images.txt</c>, <c>bounding_boxes.txt</c>, <c>images/&lt;class&gt;/&lt;file&gt;.jpg</c>,
/// captions <c>{Root}/text/&lt;class&gt;/&lt;file&gt;.txt</c>, splits <c>{Root}/train/filenames.pickle</c> and
/// <c>{Root}/test/filenames.pickle</c>.
/// </summary>
public sealed class CubOptions : ImageFolderOptions
{
    /// <summary>The birds folder (AttnGAN's <c>data/birds</c>). Required.</summary>
    public string Root { get; set; } = "";

    /// <summary>Train, test, or null for every image in images.txt. Default train.</summary>
    public DatasetSplit? Split { get; set; } = DatasetSplit.Train;

    /// <summary>
    /// The split's file list instead of <c>{Root}/{train|test}/filenames.pickle</c>: a <c>.pickle</c> of a list of
    /// str, or a plain text file with one name a line; names are <c>&lt;class&gt;/&lt;file&gt;</c> with or without <c>.jpg</c>.
    /// </summary>
    public string? SplitFile { get; set; }

    /// <summary>The CUB folder; default <c>{Root}/CUB_200_2011</c>.</summary>
    public string? CubFolder { get; set; }

    /// <summary>The captions folder; default <c>{Root}/text</c> (some copies keep it in <c>CUB_200_2011/text</c>, also tried).</summary>
    public string? TextFolder { get; set; }

    /// <summary>Crop to MirrorGAN's square of side 1.5·max(w, h) around the bounding box centre, clipped. Default true.</summary>
    public bool CropToBoundingBox { get; set; } = true;

    /// <summary>At most this many captions per image (CUB has 10). Default 10.</summary>
    public override int CaptionsPerImage { get; set; } = 10;
}
