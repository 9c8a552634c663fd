using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class ShapesSplitTests
{
    [Fact]
    public void The_120_held_out_prompts_are_distinct_cover_every_trained_pair_and_never_occur_in_training()
    {
        var prompts = ShapesSplit.HeldOutPrompts;
        Assert.Equal(120, prompts.Count);
        var captions = prompts.Select(new ShapesDataset().CanonicalCaption).ToHashSet();
        Assert.Equal(120, captions.Count);
        var pairs = prompts.Select(p => (p.Objects[0].Color, p.Objects[0].Shape)).ToHashSet();
        Assert.Equal(18 - ShapesSplit.HeldOutPairs.Count, pairs.Count);
        Assert.DoesNotContain(pairs, ShapesSplit.HeldOutPairs.Contains);

        // Every caption of every training scene (all wordings, not only the canonical one) avoids the held-out descriptions.
        var train = new ShapesDataset(ShapesSplit.Train(seed: 3));
        int scenes = 0;
        foreach (var scene in train.Scenes)
        {
            scenes++;
            Assert.False(ShapesSplit.IsHeldOutPrompt(scene), $"training scene {scene.Index}: {scene}");
            Assert.DoesNotContain(train.CanonicalCaption(scene), captions);
            var o = scene.Objects[0];
            Assert.DoesNotContain((o.Color, o.Shape), ShapesSplit.HeldOutPairs);
        }
        Assert.Equal(ShapesSplit.TrainScenes, scenes);
    }

    [Fact]
    public void Held_out_pair_scenes_hold_only_those_pairs()
    {
        var data = new ShapesDataset(ShapesSplit.HeldOutCombinations(seed: 1));
        Assert.All(data.Scenes.Take(50), s => Assert.Contains((s.Objects[0].Color, s.Objects[0].Shape), ShapesSplit.HeldOutPairs));
    }
}
