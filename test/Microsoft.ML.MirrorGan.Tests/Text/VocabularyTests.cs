using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.Tests.Text;

public class VocabularyTests
{
    [Fact]
    public void Tokenizer_lowercases_splits_on_non_word_characters_and_drops_punctuation()
    {
        Assert.Equal(new[] { "a", "small", "red", "circle", "on", "the", "left" },
            CaptionTokenizer.Tokenize("A small, RED circle -- on the left!"));
        Assert.Empty(CaptionTokenizer.Tokenize("  ...!?  "));
        Assert.Empty(CaptionTokenizer.Tokenize(null));
    }

    [Fact]
    public void Tokenizer_keeps_unicode_words_by_default_and_drops_non_ascii_in_compatibility_mode()
    {
        Assert.Equal(new[] { "café", "кошка" }, CaptionTokenizer.Tokenize("Café КОШКА"));
        Assert.Equal(new[] { "caf" }, CaptionTokenizer.Tokenize("Café КОШКА", asciiOnly: true));
    }

    [Fact]
    public void Build_reserves_end_and_unknown_and_numbers_words_in_first_seen_order()
    {
        var v = Vocabulary.Build(new[] { "a red circle", "a blue circle" });
        Assert.Equal(new[] { "<end>", "<unk>", "a", "red", "circle", "blue" }, v.Words);
        Assert.Equal(new[] { 2, 5, 1 }, v.Encode("A blue hexagon"));
        var unknown = new List<string>();
        v.Encode("a hexagon", unknown);
        Assert.Equal(new[] { "hexagon" }, unknown);
        Assert.Equal("a blue", v.Decode(new[] { 2, 5, 0, 3 }));
    }

    [Fact]
    public void Compatibility_mode_without_unknown_token_drops_unseen_words()
    {
        var v = Vocabulary.Build(new[] { "a red circle" }, hasUnknownToken: false);
        Assert.Equal(new[] { "<end>", "a", "red", "circle" }, v.Words);
        Assert.Equal(new[] { 1, 3 }, v.Encode("a green circle"));
    }

    [Fact]
    public void Fit_keeps_first_words_without_random_and_an_ordered_subset_with_random()
    {
        int[] ids = { 10, 11, 12, 13, 14, 15 };
        var (first, cut) = Vocabulary.Fit(ids, 3);
        Assert.Equal(new[] { 10, 11, 12 }, first);
        Assert.True(cut);
        var (kept, truncated) = Vocabulary.Fit(ids, 4, new Random(3));
        Assert.True(truncated);
        Assert.Equal(4, kept.Length);
        Assert.Equal(kept.Order(), kept); // order preserved
        Assert.All(kept, k => Assert.Contains(k, ids));
        Assert.False(Vocabulary.Fit(ids, 6).Truncated);
    }

    [Fact]
    public void Slots_are_the_words_that_encode_and_fit_keep_with_unknowns_as_written()
    {
        var withUnk = Vocabulary.Build(new[] { "a red circle", "a blue circle" });
        var s = withUnk.Slots("A blue hexagon on a red circle", 4);
        Assert.Equal(new[] { "a", "blue", "hexagon", "on" }, s.Words);     // <unk> slots keep the written word
        Assert.Equal(2, s.Known);
        Assert.Equal(new[] { "hexagon", "on" }, s.Unknown);
        Assert.True(s.Truncated);
        Assert.Equal(Vocabulary.Fit(withUnk.Encode("A blue hexagon on a red circle"), 4).Ids.Length, s.Words.Count);

        var noUnk = Vocabulary.Build(new[] { "a red circle" }, hasUnknownToken: false);
        var d = noUnk.Slots("a green circle", 18);
        Assert.Equal(new[] { "a", "circle" }, d.Words);                     // dropped words take no slot
        Assert.Equal(2, d.Known);
        Assert.Equal(new[] { "green" }, d.Unknown);
        Assert.False(d.Truncated);
    }

    [Fact]
    public void Save_load_round_trip_and_mismatch_error_names_both_models()
    {
        var v = Vocabulary.Build(new[] { "a red circle", "a blue square" });
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) v.Save(w);
        ms.Position = 0;
        var back = Vocabulary.Load(new BinaryReader(ms));
        Assert.Equal(v, back);
        Assert.Equal(v.Fingerprint, back.Fingerprint);

        var other = Vocabulary.Build(new[] { "a red square" });
        var e = Assert.Throws<InvalidOperationException>(() => v.EnsureSameAs(other, "TextEmbed", "StreamCaptioner"));
        Assert.Contains("TextEmbed", e.Message);
        Assert.Contains("StreamCaptioner", e.Message);
        Assert.Contains("index 4", e.Message);
    }
}
