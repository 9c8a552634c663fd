using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// A set of (generated or real) images to evaluate, as 3×S×S RGB floats in [−1, 1] (the generator's output layout),
/// with the captions they were generated from and the classes those captions name, when known.
/// </summary>
public sealed class EvaluationImages
{
    /// <summary>Wraps CHW images; <paramref name="captions"/> and <paramref name="classIds"/>, when given, align with them.</summary>
    public EvaluationImages(IReadOnlyList<float[]> images, int imageSize, IReadOnlyList<string>? captions = null, IReadOnlyList<int>? classIds = null)
    {
        Images = images ?? throw new ArgumentNullException(nameof(images));
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "imageSize must be positive.");
        int plane = 3 * imageSize * imageSize;
        for (int i = 0; i < images.Count; i++)
            if (images[i] is null || images[i].Length != plane)
                throw new ArgumentException($"Image {i} has {images[i]?.Length ?? 0} floats; 3×{imageSize}×{imageSize} = {plane} were expected (CHW RGB in [−1, 1]).", nameof(images));
        if (captions is not null && captions.Count != images.Count)
            throw new ArgumentException($"{captions.Count} captions for {images.Count} images; give one caption per image.", nameof(captions));
        if (classIds is not null && classIds.Count != images.Count)
            throw new ArgumentException($"{classIds.Count} class ids for {images.Count} images; give one class per image.", nameof(classIds));
        ImageSize = imageSize;
        Captions = captions;
        ClassIds = classIds;
    }

    /// <summary>The images, 3×<see cref="ImageSize"/>×<see cref="ImageSize"/> floats each.</summary>
    public IReadOnlyList<float[]> Images { get; }

    /// <summary>Side of every image.</summary>
    public int ImageSize { get; }

    /// <summary>The caption each image was generated from (null: unknown).</summary>
    public IReadOnlyList<string>? Captions { get; }

    /// <summary>The class each caption names (null: unknown).</summary>
    public IReadOnlyList<int>? ClassIds { get; }

    /// <summary>Number of images.</summary>
    public int Count => Images.Count;

    /// <summary>Converts <see cref="MLImage"/>s (any size; resized to <paramref name="imageSize"/>, default the first image's width).</summary>
    public static EvaluationImages FromImages(IReadOnlyList<MLImage> images, int? imageSize = null, IReadOnlyList<string>? captions = null, IReadOnlyList<int>? classIds = null)
    {
        if (images is null) throw new ArgumentNullException(nameof(images));
        int size = imageSize ?? (images.Count > 0 ? images[0].Width : 1);
        return new EvaluationImages(images.Select(im => ImageTensor.ToChw(im, size)).ToArray(), size, captions, classIds);
    }

    /// <summary>
    /// Reads an <see cref="IDataView"/> (e.g. a dataset loader's view or a generator's output): the image column, and the
    /// caption and class columns when named (null skips them). Reads at most <paramref name="maxRows"/> rows.
    /// </summary>
    public static EvaluationImages FromDataView(IDataView data, int imageSize, string imageColumn = "Image", string? captionColumn = "Caption",
        string? classIdColumn = "ClassId", int? maxRows = null)
    {
        if (data is null) throw new ArgumentNullException(nameof(data));
        Column(data, imageColumn);
        var images = new List<float[]>();
        var captions = captionColumn is null ? null : new List<string>();
        var classes = classIdColumn is null ? null : new List<int>();
        var needed = new[] { imageColumn, captionColumn, classIdColumn }.Where(c => c is not null).Select(c => Column(data, c!)).ToArray();
        using var cursor = data.GetRowCursor(needed);
        var image = cursor.GetGetter<MLImage>(needed[0]);
        var caption = captionColumn is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(Column(data, captionColumn));
        var classId = classIdColumn is null ? null : cursor.GetGetter<int>(Column(data, classIdColumn));
        MLImage value = null!;
        while ((maxRows is null || images.Count < maxRows) && cursor.MoveNext())
        {
            image(ref value);
            images.Add(ImageTensor.ToChw((MLImage?)value ?? throw new InvalidOperationException($"Row {cursor.Position} of column '{imageColumn}' has no image."), imageSize));
            if (caption is not null) { ReadOnlyMemory<char> c = default; caption(ref c); captions!.Add(c.ToString()); }
            if (classId is not null) { int k = 0; classId(ref k); classes!.Add(k); }
        }
        return new EvaluationImages(images, imageSize, captions, classes);
    }

    private static DataViewSchema.Column Column(IDataView data, string name) =>
        data.Schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(data),
            $"Column '{name}' was not found; the data has: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({c.Type})"))}.");
}
