namespace Microsoft.ML.MirrorGan.Data;

/// <summary>Options of the synthetic Shapes set (<see cref="ShapesDataset"/>, <c>LoadMirrorGanShapes</c>).</summary>
public sealed class ShapesOptions
{
    /// <summary>Side S of the square images in pixels, 32 to 512. Default 64.</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>Number of images (scenes). Default 2000.</summary>
    public int Count { get; set; } = 2000;

    /// <summary>Index of the first scene: sets generated from disjoint index ranges share no scene. Default 0.</summary>
    public int StartIndex { get; set; }

    /// <summary>Seed; every scene is a pure function of (seed, index, options). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Captions (rows) per image; the first is the canonical full description. Default 5.</summary>
    public int CaptionsPerImage { get; set; } = 5;

    /// <summary>Fraction of two-object scenes, 0 to 1. Default 0 (one object per scene).</summary>
    public double TwoObjectRatio { get; set; }

    /// <summary>
    /// (colour, shape) pairs to hold out: no object of the scene may have one (e.g. all purple triangles), or, with
    /// <see cref="ExcludedOnly"/>, some object must have one.
    /// </summary>
    public IList<(ShapesColor Color, ShapesShape Shape)> Exclude { get; set; } = new List<(ShapesColor, ShapesShape)>();

    /// <summary>A further hold-out rule over whole scenes (jitter and index aside): true means held out.</summary>
    public Func<ShapesScene, bool>? ExcludeScene { get; set; }

    /// <summary>Generate only the held-out scenes (the generalisation test set) instead of excluding them.</summary>
    public bool ExcludedOnly { get; set; }

    internal void Validate()
    {
        if (ImageSize is < 32 or > 512)
            throw new ArgumentOutOfRangeException(nameof(ImageSize), ImageSize, "ShapesOptions.ImageSize must be between 32 and 512.");
        if (Count < 0) throw new ArgumentOutOfRangeException(nameof(Count), Count, "ShapesOptions.Count must be 0 or more.");
        if (StartIndex < 0) throw new ArgumentOutOfRangeException(nameof(StartIndex), StartIndex, "ShapesOptions.StartIndex must be 0 or more.");
        if (CaptionsPerImage < 1)
            throw new ArgumentOutOfRangeException(nameof(CaptionsPerImage), CaptionsPerImage, "ShapesOptions.CaptionsPerImage must be at least 1.");
        if (TwoObjectRatio is < 0 or > 1 || double.IsNaN(TwoObjectRatio))
            throw new ArgumentOutOfRangeException(nameof(TwoObjectRatio), TwoObjectRatio, "ShapesOptions.TwoObjectRatio must be between 0 and 1.");
        if (ExcludedOnly && Exclude.Count == 0 && ExcludeScene is null)
            throw new ArgumentException("ShapesOptions.ExcludedOnly needs Exclude or ExcludeScene to say which scenes are held out.");
    }

    internal bool IsHeldOut(ShapesScene scene) =>
        scene.Objects.Any(o => Exclude.Contains((o.Color, o.Shape))) || (ExcludeScene?.Invoke(scene) ?? false);
}
