namespace Microsoft.ML.MirrorGan.Data;

/// <summary>One image of a file-based dataset and its captions; the image itself is read only when asked for.</summary>
/// <param name="ImageId">The dataset's id of the image (CUB: images.txt id; COCO: image id).</param>
/// <param name="ClassId">Class (CUB: class number 1-200; COCO: the image id, as COCO captions have no classes).</param>
/// <param name="ClassName">Class name (CUB: e.g. "001.Black_footed_Albatross"; COCO: empty).</param>
/// <param name="Path">The image file.</param>
/// <param name="BoundingBox">Object box (x, y, width, height) in source pixels, or null.</param>
/// <param name="Captions">The captions, non-empty, trimmed and NFC-normalised.</param>
public sealed record CaptionedImage(int ImageId, int ClassId, string ClassName, string Path, float[]? BoundingBox, IReadOnlyList<string> Captions);
