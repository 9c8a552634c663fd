namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Caption templates of the Shapes set. Template 0 is the canonical full description; the others word it
/// differently, use size/position synonyms, and some leave attributes out, as human captions do.
/// </summary>
internal static class ShapesCaptions
{
    private delegate string Template(Words a, Words? b, string bg);

    private sealed record Words(string Color, string Shape, string Size, string Position);

    private static readonly Template[] OneObject =
    {
        (a, _, bg) => $"a {a.Size} {a.Color} {a.Shape} {a.Position} on a {bg} background",
        (a, _, _) => $"a {a.Color} {a.Shape}",
        (a, _, _) => $"a {a.Size} {a.Color} {a.Shape} {a.Position}",
        (a, _, _) => $"there is a {a.Color} {a.Shape} {a.Position}",
        (a, _, bg) => $"a {bg} background with a {a.Size} {a.Color} {a.Shape}",
        (a, _, bg) => $"a {a.Color} {a.Shape} on a {bg} background",
        (a, _, _) => $"{a.Position} is a {a.Size} {a.Color} {a.Shape}",
        (a, _, bg) => $"a picture of a {a.Size} {a.Color} {a.Shape} {a.Position} on a {bg} background",
        (a, _, _) => $"a {a.Size} {a.Shape} colored {a.Color}",
        (a, _, _) => $"the {a.Color} {a.Shape} is {a.Position}",
    };

    private static readonly Template[] TwoObjects =
    {
        (a, b, bg) => $"a {a.Size} {a.Color} {a.Shape} {a.Position} and a {b!.Size} {b.Color} {b.Shape} {b.Position} on a {bg} background",
        (a, b, _) => $"a {a.Color} {a.Shape} and a {b!.Color} {b.Shape}",
        (a, b, _) => $"a {a.Color} {a.Shape} {a.Position} and a {b!.Color} {b.Shape} {b.Position}",
        (a, b, bg) => $"two shapes on a {bg} background: a {a.Color} {a.Shape} and a {b!.Color} {b.Shape}",
        (a, b, _) => $"{a.Position} a {a.Size} {a.Color} {a.Shape} and {b!.Position} a {b.Size} {b.Color} {b.Shape}",
        (a, b, bg) => $"a {bg} background with a {a.Color} {a.Shape} and a {b!.Color} {b.Shape}",
        (a, b, _) => $"a {a.Size} {a.Color} {a.Shape} and a {b!.Size} {b.Color} {b.Shape}",
        (a, b, bg) => $"a picture of a {a.Color} {a.Shape} {a.Position} and a {b!.Color} {b.Shape} {b.Position} on a {bg} background",
    };

    /// <summary>Number of templates for one-object and two-object scenes.</summary>
    public static (int One, int Two) TemplateCounts => (OneObject.Length, TwoObjects.Length);

    public static string Canonical(ShapesScene scene) => Render(scene, 0, canonicalWords: true, default);

    /// <summary>
    /// <paramref name="count"/> captions: the canonical one, then templates and synonyms drawn by a generator keyed
    /// on (seed, scene index) so captions are as reproducible as the images.
    /// </summary>
    public static string[] Generate(ShapesScene scene, int count, int seed)
    {
        var rng = new SplitMix64(seed, scene.Index, 0x43415054 /* "CAPT" */);
        var captions = new string[count];
        int templates = scene.Objects.Count == 1 ? OneObject.Length : TwoObjects.Length;
        captions[0] = Canonical(scene);
        for (int i = 1; i < count; i++)
            captions[i] = Render(scene, 1 + rng.Next(templates - 1), canonicalWords: false, ref rng);
        return captions;
    }

    private static string Render(ShapesScene scene, int template, bool canonicalWords, SplitMix64 rng) =>
        Render(scene, template, canonicalWords, ref rng);

    private static string Render(ShapesScene scene, int template, bool canonicalWords, ref SplitMix64 rng)
    {
        var words = new Words[scene.Objects.Count];
        for (int i = 0; i < words.Length; i++)
        {
            var o = scene.Objects[i];
            var sizes = ShapesVocabulary.SizeWords[(int)o.Size];
            var positions = ShapesVocabulary.PositionPhrases[(int)o.Position];
            words[i] = new Words(
                ShapesVocabulary.ColorNames[(int)o.Color],
                ShapesVocabulary.ShapeNames[(int)o.Shape],
                canonicalWords ? sizes[0] : sizes[rng.Next(sizes.Count)],
                canonicalWords ? positions[0] : positions[rng.Next(positions.Count)]);
        }
        string bg = ShapesVocabulary.BackgroundNames[(int)scene.Background];
        return words.Length == 1
            ? OneObject[template](words[0], null, bg)
            : TwoObjects[template](words[0], words[1], bg);
    }
}
