namespace Microsoft.ML.MirrorGan.Data;

/// <summary>One object seen in an image by <c>ShapesScorer.Detect</c>.</summary>
/// <param name="Color">Palette colour of the object's pixels.</param>
/// <param name="Shape">Shape, from positive evidence in how the pixels fill their bounding box; null when no shape's
/// evidence holds (a blob that is neither a triangle, a square nor a circle).</param>
/// <param name="Size">Size, from the bounding box extent.</param>
/// <param name="Position">Nearest nominal position of the bounding box centre.</param>
/// <param name="PixelCount">Number of pixels of the object's colour.</param>
/// <param name="CenterX">Bounding box centre, fraction of the side.</param>
/// <param name="CenterY">Bounding box centre, fraction of the side.</param>
/// <param name="Extent">Largest bounding box side, fraction of the side.</param>
public sealed record ShapesDetectedObject(ShapesColor Color, ShapesShape? Shape, ShapesSize Size, ShapesPosition Position,
    int PixelCount, float CenterX, float CenterY, float Extent);

/// <summary>What <see cref="ShapesScorer"/> sees in an image: the background and the objects, largest first.</summary>
/// <param name="Background">Nearest background colour of the border pixels' majority.</param>
/// <param name="Objects">Detected objects (one per connected blob of a palette colour), by pixel count, largest first.</param>
public sealed record ShapesDetection(ShapesBackground Background, IReadOnlyList<ShapesDetectedObject> Objects);

/// <summary>Correctness of one expected object's attributes; null where the expectation did not state the attribute.</summary>
/// <param name="Color">Colour correct.</param>
/// <param name="Shape">Shape correct.</param>
/// <param name="Size">Size correct.</param>
/// <param name="Position">Position correct.</param>
public sealed record ShapesObjectScore(bool? Color, bool? Shape, bool? Size, bool? Position);

/// <summary>Per-attribute correctness of an image against a scene or caption.</summary>
/// <param name="Background">Background correct (null if not stated).</param>
/// <param name="Objects">One score per expected object.</param>
public sealed record ShapesScore(bool? Background, IReadOnlyList<ShapesObjectScore> Objects)
{
    /// <summary>
    /// Detected objects no expected object matched (another colour, or a second blob). Any of them makes every expected
    /// object's shape verdict false: the image does not show what the caption says.
    /// </summary>
    public int ExtraObjects { get; init; }

    /// <summary>Every expected object's colour is correct (null if no object states a colour).</summary>
    public bool? Color => All(o => o.Color);

    /// <summary>Every expected object's shape is correct.</summary>
    public bool? Shape => All(o => o.Shape);

    /// <summary>Every expected object's size is correct.</summary>
    public bool? Size => All(o => o.Size);

    /// <summary>Every expected object's position is correct.</summary>
    public bool? Position => All(o => o.Position);

    /// <summary>Every stated attribute is correct.</summary>
    public bool AllCorrect => new[] { Background, Color, Shape, Size, Position }.All(b => b != false);

    private bool? All(Func<ShapesObjectScore, bool?> attribute)
    {
        var stated = Objects.Select(attribute).Where(b => b.HasValue).ToArray();
        return stated.Length == 0 ? null : stated.All(b => b!.Value);
    }
}
