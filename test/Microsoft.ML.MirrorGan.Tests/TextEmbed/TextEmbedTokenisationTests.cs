using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class TextEmbedTokenisationTests
{
    private static readonly string[] Train = { "a red circle on the left", "a big blue square", "un café crème sur la table" };

    private static TextFeatures Encode(TextEmbedTransformer t, params string[] captions) => t.EncodeCaptions(captions);

    [Fact]
    public void Punctuation_and_case_do_not_change_the_features()
    {
        var t = StemTestData.Untrained(new MLContext(1), Train);
        var f = Encode(t, "A RED circle, on the LEFT!", "a red circle on the left");
        Assert.Equal(6, f.WordCounts[0]);
        Assert.Equal(f.SentenceFeatures[1], f.SentenceFeatures[0]);
        Assert.Equal(f.WordFeatures[1], f.WordFeatures[0]);
    }

    [Fact]
    public void Non_ascii_words_are_kept_as_words()
    {
        var t = StemTestData.Untrained(new MLContext(1), Train);
        Assert.True(t.Vocabulary.IndexOf("café") > 1);
        var ids = t.ToWordIds("Café CRÈME", out _, out var unknown);
        Assert.Empty(unknown);
        Assert.Equal(new[] { t.Vocabulary.IndexOf("café"), t.Vocabulary.IndexOf("crème") }, ids);
    }

    [Fact]
    public void Unknown_words_map_to_unk_by_default()
    {
        var t = StemTestData.Untrained(new MLContext(1), Train);
        var f = Encode(t, "a zebra circle", "a giraffe circle");
        Assert.Equal(3, f.WordCounts[0]);
        Assert.Equal(f.SentenceFeatures[0], f.SentenceFeatures[1]); // both unknown words are <unk>
    }

    [Fact]
    public void Compatibility_mode_drops_unknown_words_with_a_warning()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var t = StemTestData.Untrained(ml, Train, unknownToken: false);
        var f = Encode(t, "a zebra circle", "a circle");
        Assert.Equal(2, f.WordCounts[0]);
        Assert.Equal(f.SentenceFeatures[1], f.SentenceFeatures[0]);
        Assert.Contains(messages, m => m.Contains("zebra", StringComparison.Ordinal) && m.Contains("dropped", StringComparison.Ordinal));
    }

    [Fact]
    public void Overlong_captions_keep_their_first_words_at_inference()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var t = StemTestData.Untrained(ml, Train, maxWords: 4);
        var f = Encode(t, "a red circle on the left a big blue square", "a red circle on");
        Assert.Equal(4, f.WordCounts[0]);
        Assert.Equal(f.SentenceFeatures[1], f.SentenceFeatures[0]);
        Assert.Equal(t.FeatureSize * 4, f.WordFeatures[0].Length);
        Assert.Contains(messages, m => m.Contains("first 4 were kept", StringComparison.Ordinal));
    }

    [Fact]
    public void Word_features_are_zero_past_the_count()
    {
        var t = StemTestData.Untrained(new MLContext(1), Train, maxWords: 6);
        var f = Encode(t, "a red circle");
        int d = t.FeatureSize, w = t.MaxWords;
        for (int k = 0; k < d; k++)
            for (int s = 0; s < w; s++)
                if (s >= 3) Assert.Equal(0f, f.WordFeatures[0][k * w + s]);
        Assert.Contains(f.WordFeatures[0], v => v != 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t ")]
    [InlineData("?!.,")]
    public void Empty_caption_fails_naming_row_and_column(string caption)
    {
        var ml = new MLContext(1);
        var t = StemTestData.Untrained(ml, Train);
        var data = StemTestData.Captions(ml, "a red circle", caption);
        var e = Assert.ThrowsAny<InvalidOperationException>(() => t.Transform(data).GetColumn<float[]>("SentenceFeature").ToArray());
        Assert.Contains("row 1", e.Message);
        Assert.Contains("'Caption'", e.Message);
        Assert.Contains("EmptyCaption", e.Message);
    }

    [Fact]
    public void Empty_caption_gives_zeros_when_asked()
    {
        var ml = new MLContext(1);
        var t = StemTestData.Untrained(ml, Train, empty: EmptyCaptionHandling.Zeros);
        var output = t.Transform(StemTestData.Captions(ml, "a red circle", " "));
        var counts = output.GetColumn<int>("WordCount").ToArray();
        var sentences = output.GetColumn<float[]>("SentenceFeature").ToArray();
        Assert.Equal(new[] { 3, 0 }, counts);
        Assert.All(sentences[1], v => Assert.Equal(0f, v));
        Assert.Contains(sentences[0], v => v != 0);
    }
}
