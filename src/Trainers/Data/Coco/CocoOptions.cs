namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Options of the COCO 2014 captions loader (<c>LoadCocoCaptions</c>): <c>{Root}/annotations/captions_{train,val}2014.json</c>
/// and the image folders <c>{Root}/{train,val}2014/</c>.
/// </summary>
public sealed class CocoOptions : ImageFolderOptions
{
    /// <summary>The COCO folder holding <c>annotations/</c> and the image folders. Required unless both overrides are set.</summary>
    public string Root { get; set; } = "";

    /// <summary>Train (<c>train2014</c>) or test (<c>val2014</c>, as AttnGAN/MirrorGAN test on it). Default train.</summary>
    public DatasetSplit Split { get; set; } = DatasetSplit.Train;

    /// <summary>The captions JSON instead of <c>{Root}/annotations/captions_{split}2014.json</c>.</summary>
    public string? AnnotationsFile { get; set; }

    /// <summary>The image folder instead of <c>{Root}/{split}2014</c>.</summary>
    public string? ImageFolder { get; set; }

    /// <summary>At most this many captions per image (COCO has 5 to 7; AttnGAN uses 5). Default 5.</summary>
    public override int CaptionsPerImage { get; set; } = 5;
}
