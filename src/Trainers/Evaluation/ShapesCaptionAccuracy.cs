using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Shares of generated captions whose attribute words match the scene's truth (1 = all).</summary>
/// <param name="Count">Captions scored.</param>
/// <param name="Color">Every object's colour word is right.</param>
/// <param name="Shape">Every object's shape word is right.</param>
/// <param name="Size">Every object's size word is right.</param>
/// <param name="Position">Every object's position word is right.</param>
/// <param name="All">Colour, shape, size and position all right.</param>
public sealed record ShapesCaptionAccuracyResult(int Count, double Color, double Shape, double Size, double Position, double All);

/// <summary>
/// Scores captions of Shapes images against the scenes they show: the caption is parsed with
/// <see cref="ShapesCaptionParser"/>, object k of the caption is compared with object k of the scene, and an attribute
/// the caption does not state (or a missing object) counts as wrong.
/// </summary>
public static class ShapesCaptionAccuracy
{
    /// <summary>Scores <paramref name="captions"/> against <paramref name="scenes"/> (same order).</summary>
    public static ShapesCaptionAccuracyResult Score(IReadOnlyList<string> captions, IReadOnlyList<ShapesScene> scenes)
    {
        if (captions is null) throw new ArgumentNullException(nameof(captions));
        if (scenes is null) throw new ArgumentNullException(nameof(scenes));
        if (captions.Count != scenes.Count) throw new ArgumentException($"{captions.Count} captions but {scenes.Count} scenes.", nameof(scenes));
        int color = 0, shape = 0, size = 0, position = 0, all = 0;
        for (int i = 0; i < captions.Count; i++)
        {
            var said = ShapesCaptionParser.Parse(captions[i] ?? "").Objects;
            var truth = scenes[i].Objects;
            bool Each(Func<ShapesObject, ShapesObjectDescription, bool> same) =>
                said.Count == truth.Count && truth.Select((t, k) => same(t, said[k])).All(b => b);
            bool c = Each((t, s) => s.Color == t.Color), sh = Each((t, s) => s.Shape == t.Shape),
                 z = Each((t, s) => s.Size == t.Size), p = Each((t, s) => s.Position == t.Position);
            color += c ? 1 : 0;
            shape += sh ? 1 : 0;
            size += z ? 1 : 0;
            position += p ? 1 : 0;
            all += c && sh && z && p ? 1 : 0;
        }
        double n = Math.Max(1, captions.Count);
        return new ShapesCaptionAccuracyResult(captions.Count, color / n, shape / n, size / n, position / n, all / n);
    }
}
