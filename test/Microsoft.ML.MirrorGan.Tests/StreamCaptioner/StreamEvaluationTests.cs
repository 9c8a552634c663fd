using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;

namespace Microsoft.ML.MirrorGan.Tests.StreamCaptioner;

public class StreamEvaluationTests
{
    private static string[] T(string s) => s.Split(' ');

    [Fact]
    public void Bleu_of_an_exact_match_is_one()
    {
        var bleu = Bleu.Corpus(new[] { T("a red circle on the left") }, new[] { new[] { T("a red circle on the left") } });
        Assert.All(bleu, b => Assert.Equal(1.0, b, 10));
    }

    [Fact]
    public void Bleu_matches_a_hand_computed_value_with_clipping_and_brevity_penalty()
    {
        // Candidate "the the cat" vs reference "the cat sat on the mat": p1 = 3/3 (the×2 clipped to 2, cat),
        // p2 = 1/2 ("the cat"), c = 3, r = 6 → BP = exp(1 − 2).
        var bleu = Bleu.Corpus(new[] { T("the the cat") }, new[] { new[] { T("the cat sat on the mat") } }, maxOrder: 2);
        double bp = Math.Exp(1 - 6.0 / 3);
        Assert.Equal(bp * 1.0, bleu[0], 10);
        Assert.Equal(bp * Math.Sqrt(0.5), bleu[1], 10);
        // Clipping: "the the the" against "the cat" has p1 = 1/3.
        var clipped = Bleu.Corpus(new[] { T("the the the") }, new[] { new[] { T("the cat"), T("a the") } }, maxOrder: 1);
        Assert.Equal(1.0 / 3, clipped[0], 10);
        // No 4-gram match → BLEU-4 is 0.
        Assert.Equal(0, Bleu.Corpus(new[] { T("a b c d") }, new[] { new[] { T("a b c e") } })[3]);
    }

    [Fact]
    public void Shapes_caption_accuracy_scores_each_attribute()
    {
        var set = new ShapesDataset(new ShapesOptions { Count = 2, Seed = 3, ImageSize = 32 });
        var scenes = set.Scenes.ToArray();
        var canonical = scenes.Select(set.CanonicalCaption).ToArray();
        var perfect = ShapesCaptionAccuracy.Score(canonical, scenes);
        Assert.Equal(1.0, perfect.Color);
        Assert.Equal(1.0, perfect.Shape);
        Assert.Equal(1.0, perfect.Position);
        Assert.Equal(1.0, perfect.Size);
        var empty = ShapesCaptionAccuracy.Score(new[] { "", "nothing here" }, scenes);
        Assert.Equal(0.0, empty.All);
    }
}
