using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// A set of prompts <see cref="HeldOutEvaluation"/> generates and scores: the captions, the classes they name, the Shapes
/// scenes they describe (the scorer's truth; null for other datasets), and the real images of the same prompts at a given
/// side (the FID reference).
/// </summary>
internal sealed record HeldOutPromptSet(string Name, string[] Captions, int[] Classes, ShapesScene[]? Scenes, Func<int, float[][]> Real)
{
    /// <summary>
    /// Shapes: the 120 held-out prompts (descriptions never trained on), then <see cref="ShapesSplit.EvalCount"/> unseen
    /// scenes of the held-out colour–shape pairs.
    /// </summary>
    public static IEnumerable<HeldOutPromptSet> Shapes(int seed)
    {
        var pairs = new ShapesDataset(ShapesSplit.HeldOutCombinations(seed)).Scenes.ToArray();
        foreach (var (name, scenes) in new[] { ("held_out_prompts", ShapesSplit.HeldOutPrompts.ToArray()), ("held_out_combinations", pairs) })
        {
            yield return new HeldOutPromptSet(name, scenes.Select(new ShapesDataset().CanonicalCaption).ToArray(), scenes.Select(s => s.ClassId).ToArray(), scenes,
                // Rendering reads only the side from the options: the same scenes at the generator's final size.
                size => scenes.Select(new ShapesDataset(new ShapesOptions { ImageSize = size }).RenderChw).ToArray());
        }
    }

    /// <summary>Fashion-MNIST: the first 300 test images, one caption each.</summary>
    public static IEnumerable<HeldOutPromptSet> FashionMnist(MLContext ml, int seed)
    {
        var test = ml.Data.LoadFashionMnist(new FashionMnistOptions { Split = DatasetSplit.Test, ImageSize = 64, MaxImages = 300, CaptionsPerImage = 1, Seed = seed });
        yield return new HeldOutPromptSet("test", test.GetColumn<string>("Caption").ToArray(), test.GetColumn<int>("ClassId").ToArray(), null,
            size => EvaluationImages.FromDataView(test, size, captionColumn: null, classIdColumn: null).Images.ToArray());
    }
}
