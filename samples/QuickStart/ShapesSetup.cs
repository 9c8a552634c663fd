using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.QuickStart;

/// <summary>The main job's Shapes split: what is trained on and what is held out.</summary>
internal static class ShapesSetup
{
    /// <summary>Colour–shape pairs never shown in training (the generalisation prompts).</summary>
    public static readonly (ShapesColor, ShapesShape)[] HeldOutPairs = { (ShapesColor.Purple, ShapesShape.Triangle), (ShapesColor.Orange, ShapesShape.Square) };

    public const int TrainScenes = 4000;
    public const int EvalSeedStart = 100_000;
    public const int EvalComboStart = 200_000;
    public const int EvalCount = 300;

    public static ShapesOptions Train(int seed) => WithPairs(new ShapesOptions { ImageSize = 64, Count = TrainScenes, CaptionsPerImage = 2, Seed = seed });

    /// <summary>Unseen scenes (indices never trained on) of the trained attribute combinations.</summary>
    public static ShapesOptions HeldOutSeeds(int seed) => WithPairs(new ShapesOptions { ImageSize = 64, Count = EvalCount, StartIndex = EvalSeedStart, CaptionsPerImage = 1, Seed = seed });

    /// <summary>Scenes whose object has a held-out colour–shape pair.</summary>
    public static ShapesOptions HeldOutCombinations(int seed) =>
        WithPairs(new ShapesOptions { ImageSize = 64, Count = EvalCount, StartIndex = EvalComboStart, CaptionsPerImage = 1, Seed = seed, ExcludedOnly = true });

    private static ShapesOptions WithPairs(ShapesOptions o)
    {
        foreach (var p in HeldOutPairs) o.Exclude.Add(p);
        return o;
    }
}
