namespace Microsoft.ML.MirrorGan.Data;

/// <summary>Colour of a Shapes object (caption word: the lower-case name).</summary>
public enum ShapesColor
{
    /// <summary>RGB (220,30,30).</summary>
    Red,
    /// <summary>RGB (30,170,50).</summary>
    Green,
    /// <summary>RGB (30,70,220).</summary>
    Blue,
    /// <summary>RGB (240,220,30).</summary>
    Yellow,
    /// <summary>RGB (140,50,190).</summary>
    Purple,
    /// <summary>RGB (250,140,20).</summary>
    Orange,
}

/// <summary>Shape of a Shapes object.</summary>
public enum ShapesShape
{
    /// <summary>A disc whose diameter is the extent.</summary>
    Circle,
    /// <summary>An axis-aligned square whose side is the extent.</summary>
    Square,
    /// <summary>An isosceles triangle, apex up, base and height equal to the extent.</summary>
    Triangle,
}

/// <summary>Size of a Shapes object.</summary>
public enum ShapesSize
{
    /// <summary>Extent 0.25·S (caption words small, little, tiny).</summary>
    Small,
    /// <summary>Extent 0.45·S (caption words large, big).</summary>
    Large,
}

/// <summary>Position of a Shapes object's centre.</summary>
public enum ShapesPosition
{
    /// <summary>(0.27, 0.50)·S, "on the left".</summary>
    Left,
    /// <summary>(0.73, 0.50)·S, "on the right".</summary>
    Right,
    /// <summary>(0.50, 0.27)·S, "at the top".</summary>
    Top,
    /// <summary>(0.50, 0.73)·S, "at the bottom".</summary>
    Bottom,
    /// <summary>(0.50, 0.50)·S, "in the center" (or "in the middle").</summary>
    Center,
}

/// <summary>Background of a Shapes scene.</summary>
public enum ShapesBackground
{
    /// <summary>RGB (245,245,245).</summary>
    White,
    /// <summary>RGB (128,128,128).</summary>
    Gray,
    /// <summary>RGB (15,15,15).</summary>
    Black,
}

/// <summary>The exact words, colours and geometry of the Shapes set (other code depends on them; do not change).</summary>
public static class ShapesVocabulary
{
    /// <summary>Colour names, indexed by <see cref="ShapesColor"/>.</summary>
    public static IReadOnlyList<string> ColorNames { get; } = new[] { "red", "green", "blue", "yellow", "purple", "orange" };

    /// <summary>Shape names, indexed by <see cref="ShapesShape"/>.</summary>
    public static IReadOnlyList<string> ShapeNames { get; } = new[] { "circle", "square", "triangle" };

    /// <summary>Canonical size names, indexed by <see cref="ShapesSize"/>.</summary>
    public static IReadOnlyList<string> SizeNames { get; } = new[] { "small", "large" };

    /// <summary>Canonical position names, indexed by <see cref="ShapesPosition"/>.</summary>
    public static IReadOnlyList<string> PositionNames { get; } = new[] { "left", "right", "top", "bottom", "center" };

    /// <summary>Background names, indexed by <see cref="ShapesBackground"/>.</summary>
    public static IReadOnlyList<string> BackgroundNames { get; } = new[] { "white", "gray", "black" };

    /// <summary>Size synonyms used in captions, indexed by <see cref="ShapesSize"/> (the first is canonical).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> SizeWords { get; } = new[]
    {
        new[] { "small", "little", "tiny" },
        new[] { "large", "big" },
    };

    /// <summary>Position phrases used in captions, indexed by <see cref="ShapesPosition"/> (the first is canonical).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> PositionPhrases { get; } = new[]
    {
        new[] { "on the left" },
        new[] { "on the right" },
        new[] { "at the top" },
        new[] { "at the bottom" },
        new[] { "in the center", "in the middle" },
    };

    internal static readonly (byte R, byte G, byte B)[] ColorRgb =
    {
        (220, 30, 30), (30, 170, 50), (30, 70, 220), (240, 220, 30), (140, 50, 190), (250, 140, 20),
    };

    internal static readonly (byte R, byte G, byte B)[] BackgroundRgb = { (245, 245, 245), (128, 128, 128), (15, 15, 15) };

    /// <summary>Extent as a fraction of the canvas side, indexed by <see cref="ShapesSize"/>.</summary>
    internal static readonly float[] Extent = { 0.25f, 0.45f };

    /// <summary>Centre as fractions of the canvas side, indexed by <see cref="ShapesPosition"/>.</summary>
    internal static readonly (float X, float Y)[] Centre = { (0.27f, 0.50f), (0.73f, 0.50f), (0.50f, 0.27f), (0.50f, 0.73f), (0.50f, 0.50f) };

    /// <summary>Largest jitter of a centre on each axis, as a fraction of the canvas side.</summary>
    internal const float Jitter = 0.03f;

    /// <summary>The RGB of a shape colour.</summary>
    public static (byte R, byte G, byte B) Rgb(ShapesColor color) => ColorRgb[(int)color];

    /// <summary>The RGB of a background.</summary>
    public static (byte R, byte G, byte B) Rgb(ShapesBackground background) => BackgroundRgb[(int)background];
}
