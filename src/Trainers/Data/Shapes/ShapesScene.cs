namespace Microsoft.ML.MirrorGan.Data;

/// <summary>One object of a Shapes scene. <paramref name="JitterX"/>/<paramref name="JitterY"/> are centre offsets in fractions of S (|j| ≤ 0.03).</summary>
/// <param name="Color">Fill colour.</param>
/// <param name="Shape">Shape.</param>
/// <param name="Size">Size.</param>
/// <param name="Position">Nominal position.</param>
/// <param name="JitterX">Horizontal centre offset, fraction of S.</param>
/// <param name="JitterY">Vertical centre offset, fraction of S.</param>
public sealed record ShapesObject(ShapesColor Color, ShapesShape Shape, ShapesSize Size, ShapesPosition Position, float JitterX = 0, float JitterY = 0);

/// <summary>
/// A Shapes scene: a background and one or two objects (two-object scenes: both small, different colours, left+right
/// or top+bottom). Produced by <see cref="ShapesDataset.Scene(int)"/> as a pure function of seed, index and options.
/// </summary>
public sealed class ShapesScene
{
    /// <summary>Number of one-object attribute combinations (6 colours × 3 shapes × 2 sizes × 5 positions × 3 backgrounds).</summary>
    public const int OneObjectClassCount = 6 * 3 * 2 * 5 * 3;

    /// <summary>Number of distinct class ids (one-object plus two-object combinations).</summary>
    public const int ClassCount = OneObjectClassCount + 3 * 2 * 6 * 3 * 6 * 3;

    /// <summary>Creates a scene; checks the two-object rules.</summary>
    public ShapesScene(int index, ShapesBackground background, IReadOnlyList<ShapesObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        if (objects.Count is < 1 or > 2)
            throw new ArgumentException($"A Shapes scene has 1 or 2 objects, not {objects.Count}.", nameof(objects));
        if (objects.Count == 2)
        {
            var (a, b) = (objects[0], objects[1]);
            bool layoutOk = (a.Position, b.Position) is (ShapesPosition.Left, ShapesPosition.Right) or (ShapesPosition.Top, ShapesPosition.Bottom);
            if (!layoutOk || a.Size != ShapesSize.Small || b.Size != ShapesSize.Small || a.Color == b.Color)
                throw new ArgumentException("A two-object scene needs two small objects of different colours, first left/top and second right/bottom.", nameof(objects));
        }
        Index = index;
        Background = background;
        Objects = objects.ToArray();
    }

    /// <summary>The scene's index in its dataset.</summary>
    public int Index { get; }

    /// <summary>The background.</summary>
    public ShapesBackground Background { get; }

    /// <summary>The objects: one, or two (left then right, or top then bottom).</summary>
    public IReadOnlyList<ShapesObject> Objects { get; }

    /// <summary>
    /// The index of the scene's full attribute combination (jitter ignored), in [0, <see cref="ClassCount"/>):
    /// scenes with equal class ids are described by the same canonical caption.
    /// </summary>
    public int ClassId
    {
        get
        {
            int bg = (int)Background;
            if (Objects.Count == 1)
            {
                var o = Objects[0];
                return (((((int)o.Color * 3 + (int)o.Shape) * 2 + (int)o.Size) * 5 + (int)o.Position) * 3) + bg;
            }
            var (a, b) = (Objects[0], Objects[1]);
            int layout = a.Position == ShapesPosition.Left ? 0 : 1;
            return OneObjectClassCount + ((((bg * 2 + layout) * 6 + (int)a.Color) * 3 + (int)a.Shape) * 6 + (int)b.Color) * 3 + (int)b.Shape;
        }
    }

    /// <summary>The scene's canonical caption, e.g. "a small red circle on the left on a white background".</summary>
    public override string ToString() => ShapesCaptions.Canonical(this);
}
