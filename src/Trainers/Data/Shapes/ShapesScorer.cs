using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Scores an image (a Shapes render or a generator's output) against a scene or a caption: which of background,
/// colour, shape, size and position it gets right. Detection is colour-based: pixels close to a palette colour are
/// grouped into connected blobs (8-neighbourhood), one object per blob large enough to be an object; each shape needs
/// positive evidence from how the blob fills its bounding box (triangle: bottom-heavy and about half full; square:
/// nearly full and as wide as tall; circle: about π/4 full, balanced top and bottom, as wide as tall) — a blob that fits none has no shape.
/// Size comes from its extent, position from its centre. An object the expectation does not account for (another
/// colour, or a second blob) makes every shape verdict false.
/// </summary>
public static class ShapesScorer
{
    // A pixel belongs to a colour only if it is this close (RGB distance); anti-aliased edges fall between colours.
    private const int MaxColorDistanceSq = 70 * 70;

    /// <summary>Scores an RGB image against a scene's attributes.</summary>
    public static ShapesScore Score(MLImage image, ShapesScene expected) =>
        Score(image, ShapesDescription.Of(expected));

    /// <summary>Scores an RGB image against the attributes a caption states (see <see cref="ShapesCaptionParser"/>).</summary>
    public static ShapesScore Score(MLImage image, string caption) =>
        Score(image, ShapesCaptionParser.Parse(caption));

    /// <summary>Scores an RGB image against a (possibly partial) description.</summary>
    public static ShapesScore Score(MLImage image, ShapesDescription expected)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != image.Height)
            throw new ArgumentException($"Shapes images are square; this one is {image.Width}x{image.Height}.", nameof(image));
        return Score(Detect(RgbImage.ToRgb(image), image.Width), expected);
    }

    /// <summary>
    /// Scores a generator output: <paramref name="chw"/> is [3, size, size] channel-major with values in [-1, 1].
    /// </summary>
    public static ShapesScore Score(ReadOnlySpan<float> chw, int size, ShapesDescription expected) =>
        Score(Detect(ChwToRgb(chw, size), size), expected);

    /// <summary>Scores a generator output ([3, size, size], values in [-1, 1]) against a scene.</summary>
    public static ShapesScore Score(ReadOnlySpan<float> chw, int size, ShapesScene expected) =>
        Score(chw, size, ShapesDescription.Of(expected));

    /// <summary>What the scorer sees in an RGB image.</summary>
    public static ShapesDetection Detect(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Detect(RgbImage.ToRgb(image), image.Width);
    }

    /// <summary>Compares a detection with a (possibly partial) description.</summary>
    public static ShapesScore Score(ShapesDetection seen, ShapesDescription expected)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(expected);
        var unused = seen.Objects.ToList();
        var scores = new List<ShapesObjectScore>();
        foreach (var e in expected.Objects)
        {
            var match = Match(unused, e);
            if (match is null)
            {
                scores.Add(new ShapesObjectScore(Fail(e.Color), Fail(e.Shape), Fail(e.Size), Fail(e.Position)));
                continue;
            }
            unused.Remove(match);
            scores.Add(new ShapesObjectScore(
                Same(e.Color, match.Color), SameShape(e.Shape, match.Shape), Same(e.Size, match.Size), Same(e.Position, match.Position)));
        }
        if (unused.Count > 0) scores = scores.Select(o => o with { Shape = o.Shape is null ? null : false }).ToList();
        return new ShapesScore(Same(expected.Background, seen.Background), scores) { ExtraObjects = unused.Count };
    }

    // The object of the expected colour if there is one; otherwise the one nearest the expected position, else the largest.
    private static ShapesDetectedObject? Match(List<ShapesDetectedObject> candidates, ShapesObjectDescription e)
    {
        if (candidates.Count == 0) return null;
        var pool = e.Color is { } c && candidates.Any(d => d.Color == c) ? candidates.Where(d => d.Color == c).ToList() : candidates;
        if (e.Position is { } p)
        {
            var (x, y) = ShapesVocabulary.Centre[(int)p];
            return pool.MinBy(d => (d.CenterX - x) * (d.CenterX - x) + (d.CenterY - y) * (d.CenterY - y));
        }
        return pool[0];
    }

    private static bool? Same<T>(T? expected, T actual) where T : struct, Enum =>
        expected is { } e ? EqualityComparer<T>.Default.Equals(e, actual) : null;

    private static bool? SameShape(ShapesShape? expected, ShapesShape? actual) =>
        expected is { } e ? actual == e : null;

    private static bool? Fail<T>(T? expected) where T : struct => expected.HasValue ? false : null;

    internal static byte[] ChwToRgb(ReadOnlySpan<float> chw, int size)
    {
        int n = size * size;
        if (chw.Length != 3 * n)
            throw new ArgumentException($"Expected a [3, {size}, {size}] array of {3 * n} floats, got {chw.Length}.", nameof(chw));
        var rgb = new byte[3 * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                rgb[3 * i + c] = (byte)Math.Clamp(MathF.Round((chw[c * n + i] + 1f) * 127.5f), 0f, 255f);
        return rgb;
    }

    /// <summary>Detects background and objects in packed RGB bytes of a square image of side <paramref name="size"/>.</summary>
    public static ShapesDetection Detect(ReadOnlySpan<byte> rgb, int size)
    {
        if (size < 8 || rgb.Length != size * size * 3)
            throw new ArgumentException($"Expected {size}x{size} packed RGB bytes ({size * size * 3}), got {rgb.Length}.", nameof(rgb));
        var background = DetectBackground(rgb, size);
        var bgRgb = ShapesVocabulary.Rgb(background);
        int colors = ShapesVocabulary.ColorRgb.Length;
        var label = new int[size * size]; // palette colour + 1 per pixel; 0: background or nothing
        for (int i = 0; i < size * size; i++)
        {
            var (r, g, b) = (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
            int best = -1, bestD = Dist(r, g, b, bgRgb);
            for (int c = 0; c < colors; c++)
            {
                int d = Dist(r, g, b, ShapesVocabulary.ColorRgb[c]);
                if (d < bestD) (best, bestD) = (c, d);
            }
            if (best >= 0 && bestD <= MaxColorDistanceSq) label[i] = best + 1;
        }
        // A quarter of the smallest object (a small triangle covers 0.031·S²) is the least that counts as an object.
        int minPixels = Math.Max(4, (int)(0.25 * 0.03125 * size * size));
        var objects = new List<ShapesDetectedObject>();
        foreach (var (color, blob) in Blobs(label, size))
            if (blob.Count >= minPixels)
                objects.Add(Describe((ShapesColor)color, blob, size, rgb, background));
        objects.Sort((a, b) => b.PixelCount.CompareTo(a.PixelCount));
        return new ShapesDetection(background, objects);
    }

    // Connected blobs (8-neighbourhood) of equal non-zero labels: (palette colour, pixel indices).
    private static IEnumerable<(int Color, List<int> Pixels)> Blobs(int[] label, int size)
    {
        var seen = new bool[label.Length];
        var stack = new Stack<int>();
        for (int start = 0; start < label.Length; start++)
        {
            if (label[start] == 0 || seen[start]) continue;
            int l = label[start];
            var blob = new List<int>();
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                blob.Add(i);
                int x = i % size, y = i / size;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= size || ny >= size) continue;
                    int j = ny * size + nx;
                    if (!seen[j] && label[j] == l)
                    {
                        seen[j] = true;
                        stack.Push(j);
                    }
                }
            }
            yield return (l - 1, blob);
        }
    }

    private static ShapesBackground DetectBackground(ReadOnlySpan<byte> rgb, int size)
    {
        var votes = new int[ShapesVocabulary.BackgroundRgb.Length];
        for (int k = 0; k < size; k++)
        {
            Vote(rgb, k, 0, size, votes);
            Vote(rgb, k, size - 1, size, votes);
            Vote(rgb, 0, k, size, votes);
            Vote(rgb, size - 1, k, size, votes);
        }
        return (ShapesBackground)Array.IndexOf(votes, votes.Max());
    }

    private static void Vote(ReadOnlySpan<byte> rgb, int x, int y, int size, int[] votes)
    {
        int i = 3 * (y * size + x), best = 0, bestD = int.MaxValue;
        for (int b = 0; b < votes.Length; b++)
        {
            int d = Dist(rgb[i], rgb[i + 1], rgb[i + 2], ShapesVocabulary.BackgroundRgb[b]);
            if (d < bestD) (best, bestD) = (b, d);
        }
        votes[best]++;
    }

    private static ShapesDetectedObject Describe(ShapesColor color, List<int> pixels, int size, ReadOnlySpan<byte> rgb, ShapesBackground background)
    {
        var xs = pixels.Select(i => i % size).Order().ToArray();
        var ys = pixels.Select(i => i / size).Order().ToArray();
        // 1% quantiles: a few stray pixels of a generated image must not stretch the box.
        int q = pixels.Count / 100;
        int x0 = xs[q], x1 = xs[^(q + 1)], y0 = ys[q], y1 = ys[^(q + 1)];
        var (area, width, height, topArea) = SoftMeasure(rgb, size, color, background, x0, x1, y0, y1);
        float fill = area / Math.Max(1e-6f, width * height);
        float topHalf = topArea / Math.Max(1e-6f, area);
        float aspect = width / Math.Max(1e-6f, height);
        ShapesShape? shape =
            topHalf < 0.38f && fill is > 0.30f and < 0.70f ? ShapesShape.Triangle
            : fill > 0.89f && aspect is > 0.8f and < 1.25f ? ShapesShape.Square
            : fill is > 0.65f and <= 0.89f && topHalf is > 0.40f and < 0.60f && aspect is > 0.8f and < 1.25f ? ShapesShape.Circle
            : null;
        float extent = Math.Max(width, height) / size;
        var sizeClass = extent < (ShapesVocabulary.Extent[0] + ShapesVocabulary.Extent[1]) / 2 ? ShapesSize.Small : ShapesSize.Large;
        float cx = (x0 + x1 + 1) / 2f / size, cy = (y0 + y1 + 1) / 2f / size;
        var position = (ShapesPosition)Enumerable.Range(0, ShapesVocabulary.Centre.Length).MinBy(p =>
        {
            var (px, py) = ShapesVocabulary.Centre[p];
            return (cx - px) * (cx - px) + (cy - py) * (cy - py);
        });
        return new ShapesDetectedObject(color, shape, sizeClass, position, pixels.Count, cx, cy, extent);
    }

    // Small shapes are only a few pixels wide, so anti-aliased edges decide their fill ratio: measure with each pixel's
    // coverage (its position on the background→colour line) instead of counting whole pixels.
    private static (float Area, float Width, float Height, float TopArea) SoftMeasure(
        ReadOnlySpan<byte> rgb, int size, ShapesColor color, ShapesBackground background, int x0, int x1, int y0, int y1)
    {
        var c = ShapesVocabulary.Rgb(color);
        var b = ShapesVocabulary.Rgb(background);
        float dr = c.R - b.R, dg = c.G - b.G, db = c.B - b.B, len2 = dr * dr + dg * dg + db * db;
        int bx0 = Math.Max(0, x0 - 2), bx1 = Math.Min(size - 1, x1 + 2), by0 = Math.Max(0, y0 - 2), by1 = Math.Min(size - 1, y1 + 2);
        var colMax = new float[bx1 - bx0 + 1];
        var rowMax = new float[by1 - by0 + 1];
        float area = 0, top = 0, midY = (y0 + y1 + 1) / 2f;
        for (int y = by0; y <= by1; y++)
        for (int x = bx0; x <= bx1; x++)
        {
            int i = 3 * (y * size + x);
            float pr = rgb[i] - b.R, pg = rgb[i + 1] - b.G, pb = rgb[i + 2] - b.B;
            float t = (pr * dr + pg * dg + pb * db) / len2;
            float er = pr - t * dr, eg = pg - t * dg, eb = pb - t * db;
            // Pixels off the background→colour line belong to something else.
            if (t <= 0 || er * er + eg * eg + eb * eb > 50 * 50) continue;
            float a = Math.Min(1f, t);
            area += a;
            if (y + 0.5f < midY) top += a;
            else if (y < midY) top += a / 2;
            colMax[x - bx0] = Math.Max(colMax[x - bx0], a);
            rowMax[y - by0] = Math.Max(rowMax[y - by0], a);
        }
        return (area, colMax.Sum(), rowMax.Sum(), top);
    }

    private static int Dist(int r, int g, int b, (byte R, byte G, byte B) c) =>
        (r - c.R) * (r - c.R) + (g - c.G) * (g - c.G) + (b - c.B) * (b - c.B);
}
