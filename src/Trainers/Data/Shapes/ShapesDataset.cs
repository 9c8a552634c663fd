using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// The synthetic Shapes set: coloured circles, squares and triangles on plain backgrounds with templated captions.
/// Every scene, image and caption is a pure function of (seed, index, options); nothing is stored.
/// </summary>
public sealed class ShapesDataset
{
    private const int MaxAttempts = 100_000;

    /// <summary>Creates the dataset; <paramref name="options"/> is copied by reference and validated.</summary>
    public ShapesDataset(ShapesOptions? options = null)
    {
        Options = options ?? new ShapesOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public ShapesOptions Options { get; }

    /// <summary>The scene indices of this set: <see cref="ShapesOptions.StartIndex"/> onward, <see cref="ShapesOptions.Count"/> of them.</summary>
    public IEnumerable<int> Indices => Enumerable.Range(Options.StartIndex, Options.Count);

    /// <summary>The scenes of this set, generated as they are enumerated.</summary>
    public IEnumerable<ShapesScene> Scenes => Indices.Select(Scene);

    /// <summary>
    /// The scene with absolute index <paramref name="index"/>. Held-out scenes (see <see cref="ShapesOptions.Exclude"/>)
    /// are redrawn from the next attempt's generator, so the result depends only on seed, index and options.
    /// </summary>
    public ShapesScene Scene(int index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "Scene index must be 0 or more.");
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var rng = new SplitMix64(Options.Seed, index, attempt);
            var scene = Draw(index, ref rng);
            if (Options.IsHeldOut(scene) == Options.ExcludedOnly)
                return scene;
        }
        throw new InvalidOperationException(
            $"ShapesOptions exclude (nearly) every scene: no acceptable scene in {MaxAttempts} draws for index {index}. Loosen Exclude/ExcludeScene.");
    }

    private ShapesScene Draw(int index, ref SplitMix64 rng)
    {
        var bg = (ShapesBackground)rng.Next(3);
        bool two = rng.NextDouble() < Options.TwoObjectRatio;
        if (!two)
        {
            var o = new ShapesObject((ShapesColor)rng.Next(6), (ShapesShape)rng.Next(3), (ShapesSize)rng.Next(2),
                (ShapesPosition)rng.Next(5), Jitter(ref rng), Jitter(ref rng));
            return new ShapesScene(index, bg, new[] { o });
        }
        bool horizontal = rng.Next(2) == 0;
        int c1 = rng.Next(6), c2 = (c1 + 1 + rng.Next(5)) % 6;
        var a = new ShapesObject((ShapesColor)c1, (ShapesShape)rng.Next(3), ShapesSize.Small,
            horizontal ? ShapesPosition.Left : ShapesPosition.Top, Jitter(ref rng), Jitter(ref rng));
        var b = new ShapesObject((ShapesColor)c2, (ShapesShape)rng.Next(3), ShapesSize.Small,
            horizontal ? ShapesPosition.Right : ShapesPosition.Bottom, Jitter(ref rng), Jitter(ref rng));
        return new ShapesScene(index, bg, new[] { a, b });
    }

    private static float Jitter(ref SplitMix64 rng) => (float)((rng.NextDouble() * 2 - 1) * ShapesVocabulary.Jitter);

    /// <summary>The scene's pixels as packed RGB bytes, row-major, side <see cref="ShapesOptions.ImageSize"/>.</summary>
    public byte[] RenderRgb(ShapesScene scene) => ShapesRenderer.RenderRgb(scene, Options.ImageSize);

    /// <summary>The scene as an RGB <see cref="MLImage"/>.</summary>
    public MLImage Render(ShapesScene scene) => RgbImage.FromRgb(Options.ImageSize, Options.ImageSize, RenderRgb(scene));

    /// <summary>The scene as a float array [3, S, S] (channel-major) scaled to [-1, 1], as generators produce them.</summary>
    public float[] RenderChw(ShapesScene scene)
    {
        var rgb = RenderRgb(scene);
        int n = Options.ImageSize * Options.ImageSize;
        var chw = new float[3 * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                chw[c * n + i] = rgb[3 * i + c] / 127.5f - 1f;
        return chw;
    }

    /// <summary>The scene encoded as PNG (same seed, index and options give byte-identical files).</summary>
    public byte[] RenderPng(ShapesScene scene)
    {
        int s = Options.ImageSize;
        var rgb = RenderRgb(scene);
        using var bitmap = new SKBitmap(new SKImageInfo(s, s, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var px = bitmap.GetPixelSpan();
        var dst = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(px), px.Length);
        for (int i = 0; i < s * s; i++)
        {
            dst[4 * i] = rgb[3 * i];
            dst[4 * i + 1] = rgb[3 * i + 1];
            dst[4 * i + 2] = rgb[3 * i + 2];
            dst[4 * i + 3] = 255;
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The scene's <see cref="ShapesOptions.CaptionsPerImage"/> captions; the first is <see cref="CanonicalCaption"/>.</summary>
    public IReadOnlyList<string> Captions(ShapesScene scene) => ShapesCaptions.Generate(scene, Options.CaptionsPerImage, Options.Seed);

    /// <summary>The canonical full description, e.g. "a small red circle on the left on a white background".</summary>
    public string CanonicalCaption(ShapesScene scene) => ShapesCaptions.Canonical(scene);

    /// <summary>
    /// The set as an <see cref="IDataView"/>, one row per (image, caption): see <c>LoadMirrorGanShapes</c> for the columns.
    /// </summary>
    public IDataView ToDataView()
    {
        int cpi = Options.CaptionsPerImage;
        ShapesScene SceneOf(long row) => Scene(Options.StartIndex + (int)(row / cpi));
        ShapesObject? Obj(long row, int k) => SceneOf(row).Objects.ElementAtOrDefault(k);
        string Name<T>(IReadOnlyList<string> names, T? value) where T : struct, Enum =>
            value is { } v ? names[Convert.ToInt32(v)] : "";

        var columns = new List<DatasetColumn>
        {
            DatasetColumn.Text("Caption", r => Captions(SceneOf(r))[(int)(r % cpi)]),
            DatasetColumn.Image("Image", new ImageDataViewType(Options.ImageSize, Options.ImageSize), r => Render(SceneOf(r))),
            DatasetColumn.Int32("ImageId", r => Options.StartIndex + (int)(r / cpi)),
            DatasetColumn.Int32("ClassId", r => SceneOf(r).ClassId),
            DatasetColumn.Int32("CaptionIndex", r => (int)(r % cpi)),
            DatasetColumn.Text("Background", r => ShapesVocabulary.BackgroundNames[(int)SceneOf(r).Background]),
            DatasetColumn.Int32("ObjectCount", r => SceneOf(r).Objects.Count),
        };
        for (int k = 0; k < 2; k++)
        {
            int obj = k;
            string suffix = k == 0 ? "" : "2";
            columns.Add(DatasetColumn.Text("Color" + suffix, r => Name(ShapesVocabulary.ColorNames, Obj(r, obj)?.Color)));
            columns.Add(DatasetColumn.Text("Shape" + suffix, r => Name(ShapesVocabulary.ShapeNames, Obj(r, obj)?.Shape)));
            columns.Add(DatasetColumn.Text("Size" + suffix, r => Name(ShapesVocabulary.SizeNames, Obj(r, obj)?.Size)));
            columns.Add(DatasetColumn.Text("Position" + suffix, r => Name(ShapesVocabulary.PositionNames, Obj(r, obj)?.Position)));
        }
        return new DatasetView((long)Options.Count * cpi, columns);
    }
}
