namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// The Shapes benchmark split of the QuickStart's main job: what is trained on and what is held out. Two tests of
/// generalisation: 120 one-object descriptions never trained on (<see cref="HeldOutPrompts"/>) and two colour–shape pairs
/// never trained on in any scene (<see cref="HeldOutPairs"/>).
/// </summary>
public static class ShapesSplit
{
    /// <summary>Colour–shape pairs never shown in training (the generalisation prompts).</summary>
    public static IReadOnlyList<(ShapesColor Color, ShapesShape Shape)> HeldOutPairs { get; } = new[] { (ShapesColor.Purple, ShapesShape.Triangle), (ShapesColor.Orange, ShapesShape.Square) };

    /// <summary>Training scenes of the main job.</summary>
    public const int TrainScenes = 4000;

    /// <summary>First scene index of <see cref="HeldOutSeeds"/> (never reached by training indices).</summary>
    public const int EvalSeedStart = 100_000;

    /// <summary>First scene index of <see cref="HeldOutCombinations"/>.</summary>
    public const int EvalComboStart = 200_000;

    /// <summary>Scenes in each drawn evaluation set.</summary>
    public const int EvalCount = 300;

    /// <summary>Training scenes: neither a held-out colour–shape pair nor one of the <see cref="HeldOutPrompts"/>.</summary>
    /// <param name="seed">Seed of the scenes and their caption wording.</param>
    public static ShapesOptions Train(int seed) =>
        WithPairs(new ShapesOptions { ImageSize = 64, Count = TrainScenes, CaptionsPerImage = 2, Seed = seed, ExcludeScene = IsHeldOutPrompt });

    /// <summary>
    /// 120 one-object descriptions (size, colour, shape, position, background) whose canonical caption never occurs in
    /// training, so scoring them tests prompts the job did not train on. The rule (sum of the attribute indices ≡ 1 mod 4)
    /// picks exactly 120 of the 480 trainable descriptions, every trained colour–shape pair 7–8 times, each size, position
    /// and background within two of an even share.
    /// </summary>
    public static IReadOnlyList<ShapesScene> HeldOutPrompts { get; } = BuildHeldOutPrompts();

    /// <summary>Whether a scene is one of the <see cref="HeldOutPrompts"/> descriptions (any jitter).</summary>
    /// <param name="scene">The scene.</param>
    public static bool IsHeldOutPrompt(ShapesScene scene)
    {
        if (scene.Objects.Count != 1) return false;
        var o = scene.Objects[0];
        if (HeldOutPairs.Contains((o.Color, o.Shape))) return false;
        return ((int)o.Color + (int)o.Shape + (int)o.Size + (int)o.Position + (int)scene.Background) % 4 == 1;
    }

    private static ShapesScene[] BuildHeldOutPrompts()
    {
        var scenes = new List<ShapesScene>();
        foreach (var background in Enum.GetValues<ShapesBackground>())
        foreach (var position in Enum.GetValues<ShapesPosition>())
        foreach (var size in Enum.GetValues<ShapesSize>())
        foreach (var shape in Enum.GetValues<ShapesShape>())
        foreach (var color in Enum.GetValues<ShapesColor>())
        {
            var scene = new ShapesScene(HeldOutPromptStart + scenes.Count, background, new[] { new ShapesObject(color, shape, size, position) });
            if (IsHeldOutPrompt(scene)) scenes.Add(scene);
        }
        return scenes.ToArray();
    }

    /// <summary>Scene indices of <see cref="HeldOutPrompts"/> (only labels: the scenes are built, not drawn).</summary>
    public const int HeldOutPromptStart = 300_000;

    /// <summary>Unseen scenes (indices never trained on) of the trained colour–shape pairs, at 64 px.</summary>
    /// <param name="seed">Seed of the scenes.</param>
    public static ShapesOptions HeldOutSeeds(int seed) => WithPairs(new ShapesOptions { ImageSize = 64, Count = EvalCount, StartIndex = EvalSeedStart, CaptionsPerImage = 1, Seed = seed });

    /// <summary>Scenes whose object has a held-out colour–shape pair.</summary>
    /// <param name="seed">Seed of the scenes.</param>
    public static ShapesOptions HeldOutCombinations(int seed) =>
        WithPairs(new ShapesOptions { ImageSize = 64, Count = EvalCount, StartIndex = EvalComboStart, CaptionsPerImage = 1, Seed = seed, ExcludedOnly = true });

    private static ShapesOptions WithPairs(ShapesOptions o)
    {
        foreach (var p in HeldOutPairs) o.Exclude.Add(p);
        return o;
    }
}
