using System.Text.RegularExpressions;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Reads the attributes back out of a Shapes caption (any template, any synonym): objects are separated by "and",
/// and each object's words are the vocabulary's colour, shape, size and position words.
/// </summary>
public static partial class ShapesCaptionParser
{
    /// <summary>Parses <paramref name="caption"/>; attributes it does not state are null.</summary>
    public static ShapesDescription Parse(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var words = WordPattern().Matches(caption.ToLowerInvariant()).Select(m => m.Value).ToArray();
        ShapesBackground? background = null;
        var objects = new List<ShapesObjectDescription>();
        var segment = new List<string>();
        foreach (var w in words.Append("and"))
        {
            if (w == "and")
            {
                if (ParseObject(segment) is { } o) objects.Add(o);
                segment.Clear();
                continue;
            }
            if (Background(w) is { } bg) background ??= bg;
            else segment.Add(w);
        }
        return new ShapesDescription(background, objects);
    }

    private static ShapesObjectDescription? ParseObject(List<string> words)
    {
        ShapesColor? color = null;
        ShapesShape? shape = null;
        ShapesSize? size = null;
        ShapesPosition? position = null;
        foreach (var w in words)
        {
            int c = IndexOf(ShapesVocabulary.ColorNames, w);
            if (c >= 0) color ??= (ShapesColor)c;
            int s = IndexOf(ShapesVocabulary.ShapeNames, w);
            if (s >= 0) shape ??= (ShapesShape)s;
            for (int z = 0; z < ShapesVocabulary.SizeWords.Count; z++)
                if (ShapesVocabulary.SizeWords[z].Contains(w)) size ??= (ShapesSize)z;
            position ??= w switch
            {
                "left" => ShapesPosition.Left,
                "right" => ShapesPosition.Right,
                "top" => ShapesPosition.Top,
                "bottom" => ShapesPosition.Bottom,
                "center" or "centre" or "middle" => ShapesPosition.Center,
                _ => null,
            };
        }
        return color is null && shape is null && size is null && position is null
            ? null
            : new ShapesObjectDescription(color, shape, size, position);
    }

    private static ShapesBackground? Background(string w) => w switch
    {
        "white" => ShapesBackground.White,
        "gray" or "grey" => ShapesBackground.Gray,
        "black" => ShapesBackground.Black,
        _ => null,
    };

    private static int IndexOf(IReadOnlyList<string> names, string w)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i] == w) return i;
        return -1;
    }

    [GeneratedRegex("[a-z]+")]
    private static partial Regex WordPattern();
}
