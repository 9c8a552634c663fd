using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>The common part of CUB and COCO: captioned image files turned into a lazy view, one row per caption.</summary>
public abstract class CaptionedImageSet
{
    private readonly ImageFolderOptions _options;
    private readonly HashSet<int> _skipped = new();
    private IReadOnlyList<CaptionedImage> _images = Array.Empty<CaptionedImage>();
    private long[] _firstRow = Array.Empty<long>();

    private protected CaptionedImageSet(ImageFolderOptions options) => _options = options;

    /// <summary>The images of the split, in file order.</summary>
    public IReadOnlyList<CaptionedImage> Images => _images;

    /// <summary>Number of (image, caption) rows.</summary>
    public long RowCount => _firstRow.Length == 0 ? 0 : _firstRow[^1];

    /// <summary>Number of distinct images skipped as unreadable so far (with <see cref="ImageFolderOptions.SkipUnreadableImages"/>).</summary>
    public int SkippedImageCount
    {
        get { lock (_skipped) return _skipped.Count; }
    }

    /// <summary>The split's name in the <c>Split</c> column.</summary>
    protected abstract string SplitName { get; }

    private protected void SetImages(IEnumerable<CaptionedImage> images)
    {
        _images = images.Take(_options.MaxImages ?? int.MaxValue).ToArray();
        _firstRow = new long[_images.Count + 1];
        for (int i = 0; i < _images.Count; i++)
            _firstRow[i + 1] = _firstRow[i] + _images[i].Captions.Count;
    }

    /// <summary>The source rectangle cropped from image <paramref name="image"/> before resizing (null: whole image).</summary>
    protected virtual SKRectI? Crop(CaptionedImage image) => null;

    /// <summary>Loads image <paramref name="index"/> as RGB: cropped as the dataset prescribes, resized to <see cref="ImageFolderOptions.ImageSize"/>.</summary>
    /// <exception cref="FileNotFoundException">The image file is missing.</exception>
    /// <exception cref="InvalidDataException">The image file is corrupt.</exception>
    public MLImage LoadImage(int index)
    {
        var image = _images[index];
        return RgbImage.Load(image.Path, Crop(image), _options.ImageSize);
    }

    /// <summary>The set as a lazy <see cref="IDataView"/>; images are decoded when their row is read.</summary>
    public IDataView ToDataView()
    {
        var columns = new List<DatasetColumn>
        {
            DatasetColumn.Text("Caption", r => Row(r).Image.Captions[Row(r).Caption]),
            DatasetColumn.Image("Image", _options.ImageSize > 0 ? new ImageDataViewType(_options.ImageSize, _options.ImageSize) : new ImageDataViewType(),
                r => LoadImage(Row(r).Index)),
            DatasetColumn.Int32("ImageId", r => Row(r).Image.ImageId),
            DatasetColumn.Int32("ClassId", r => Row(r).Image.ClassId),
            DatasetColumn.Text("ClassName", r => Row(r).Image.ClassName),
            DatasetColumn.Text("ImagePath", r => Row(r).Image.Path),
            DatasetColumn.Vector("BoundingBox", 4, r => Row(r).Image.BoundingBox ?? new float[4]),
            DatasetColumn.Text("Split", _ => SplitName),
        };
        return new DatasetView(RowCount, columns, _options.SkipUnreadableImages ? Skip : null);
    }

    private void Skip(long row, Exception error)
    {
        var (image, index, _) = Row(row);
        bool first;
        lock (_skipped) first = _skipped.Add(index);
        if (first)
            _options.Log?.Invoke($"skipped unreadable image {image.Path} (image id {image.ImageId}): {error.Message}");
    }

    private (CaptionedImage Image, int Index, int Caption) Row(long row)
    {
        int i = Array.BinarySearch(_firstRow, row);
        // BinarySearch finds the image whose first row is this row, or (complemented) the next image's.
        if (i < 0) i = ~i - 1;
        while (i + 1 < _firstRow.Length && _firstRow[i + 1] == row) i++;
        return (_images[i], i, (int)(row - _firstRow[i]));
    }

    /// <summary>Caption lines as the loaders keep them: trimmed, NFC-normalised, empty lines dropped.</summary>
    internal static List<string> CleanCaptions(IEnumerable<string> lines, int max) =>
        lines.Select(l => l.Trim().Normalize(NormalizationForm.FormC)).Where(l => l.Length > 0).Take(max).ToList();
}
