using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Tests.Onnx;
using Microsoft.ML.MirrorGan.Tests.TextEmbed;
using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, captions: every hostile or odd caption through <c>TextEmbed</c> (as an ML.NET transform, so errors carry
/// the row) and through the ONNX caption → image → caption chain. Each row asserts the documented behaviour
/// (README "Reliability: bad input").
/// </summary>
public class CaptionInputTests : IClassFixture<OnnxTestModels>
{
    private static readonly string[] Train = { "a red circle on the left", "a big blue square", "красный круг" };
    private readonly OnnxTestModels _onnx;

    public CaptionInputTests(OnnxTestModels onnx) => _onnx = onnx;

    private static (TextEmbedTransformer Model, MLContext Ml, List<string> Log) Stem(bool unknownToken = true, EmptyCaptionHandling empty = EmptyCaptionHandling.Error,
        bool asciiOnly = false)
    {
        var ml = new MLContext(1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        return (StemTestData.Untrained(ml, Train, unknownToken, maxWords: 6, empty, asciiOnly), ml, log);
    }

    /// <summary>Runs the captions through <c>Transform</c> and reads every output column, as a pipeline would.</summary>
    private static (float[][] Words, int[] Counts, float[][] Sentences) Run(TextEmbedTransformer t, MLContext ml, params string[] captions)
    {
        var output = t.Transform(StemTestData.Captions(ml, captions));
        return (output.GetColumn<float[]>("WordFeatures").ToArray(), output.GetColumn<int>("WordCount").ToArray(),
            output.GetColumn<float[]>("SentenceFeature").ToArray());
    }

    private static InvalidOperationException RunFails(TextEmbedTransformer t, MLContext ml, params string[] captions) =>
        Assert.Throws<InvalidOperationException>(() => Run(t, ml, captions));

    [Theory]
    [InlineData("", "is empty or whitespace")]
    [InlineData("   \t\r\n  ", "is empty or whitespace")]
    [InlineData("?!... ,;:-- «» — …", "has no word (only punctuation")]
    [InlineData("\u0000\u0007\u001b\u007f", "has no word (only punctuation, symbols, control characters")]
    [InlineData("\uD800", "has no word")]
    [InlineData("\uDC00\uDC01", "has no word")]
    public void A_caption_without_words_fails_naming_row_column_and_fix(string caption, string why)
    {
        var (t, ml, _) = Stem();
        var e = RunFails(t, ml, "a red circle", caption);
        Assert.Contains("row 1 of column 'Caption'", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("EmptyCaption = Zeros", e.Message);                 // the fix
        Assert.DoesNotContain(e.Message, c => char.IsControl(c) || char.IsSurrogate(c)); // the message cannot forge log lines
    }

    [Fact]
    public void EmptyCaption_Zeros_gives_zero_features_and_count_zero()
    {
        var (t, ml, _) = Stem(empty: EmptyCaptionHandling.Zeros);
        var (words, counts, sentences) = Run(t, ml, "", "  ", "?!", "a red circle");
        Assert.Equal(new[] { 0, 0, 0, 3 }, counts);
        for (int i = 0; i < 3; i++)
        {
            Assert.All(words[i], v => Assert.Equal(0f, v));
            Assert.All(sentences[i], v => Assert.Equal(0f, v));
        }
        Assert.Contains(sentences[3], v => v != 0);
    }

    [Fact]
    public void Ten_thousand_words_keep_the_first_MaxWords_and_log_it()
    {
        var (t, ml, log) = Stem();
        string huge = string.Join(' ', Enumerable.Range(0, 10_000).Select(i => Train[0].Split(' ')[i % 6]));
        Assert.Equal(10_000, huge.Split(' ').Length);
        var (words, counts, sentences) = Run(t, ml, huge, "a red circle on the left");
        Assert.Equal(6, counts[0]);
        Assert.Equal(words[1], words[0]);
        Assert.Equal(sentences[1], sentences[0]);
        Assert.Contains(log, m => m.Contains("first 6 were kept", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_unknown_words_become_unk_or_fail_in_compatibility_mode()
    {
        var (t, ml, _) = Stem();
        var (_, counts, sentences) = Run(t, ml, "zebra giraffe", "okapi quagga");
        Assert.Equal(new[] { 2, 2 }, counts);
        Assert.Equal(sentences[0], sentences[1]);                           // both are <unk> <unk>

        // Compatibility mode (imported AttnGAN vocabularies, no <unk>): unknown words are dropped with a warning, and a
        // caption left without words fails naming the row.
        var (strict, strictMl, log) = Stem(unknownToken: false);
        Assert.Equal(new[] { 2 }, Run(strict, strictMl, "zebra red circle").Counts);
        Assert.Contains(log, m => m.Contains("zebra", StringComparison.Ordinal) && m.Contains("dropped", StringComparison.Ordinal));
        var e = RunFails(strict, strictMl, "zebra giraffe");
        Assert.Contains("row 0 of column 'Caption' has no word in the vocabulary", e.Message);
    }

    [Fact]
    public void Control_characters_separate_words()
    {
        var (t, ml, _) = Stem();
        var (words, counts, sentences) = Run(t, ml, "a\u0000red\u0007circle\u001b", "a red circle", "a\tred\r\ncircle\u0085");
        Assert.Equal(new[] { 3, 3, 3 }, counts);
        Assert.Equal(sentences[1], sentences[0]);
        Assert.Equal(words[1], words[0]);
        Assert.Equal(sentences[1], sentences[2]);
    }

    [Fact]
    public void Lone_surrogates_separate_words_instead_of_throwing()
    {
        // string.Normalize throws ArgumentException on these; the tokenizer replaces them by U+FFFD first.
        Assert.Equal(new[] { "a", "red", "circle" }, CaptionTokenizer.Tokenize("a\uD800red\uDFFFcircle"));
        Assert.Equal(new[] { "a", "red", "circle" }, CaptionTokenizer.Tokenize("a red\uDBFF circle"));
        Assert.Equal("ab\uFFFDc\uFFFD", CaptionTokenizer.ReplaceLoneSurrogates("ab\uD800c\uDC00"));
        Assert.Equal("a😀b", CaptionTokenizer.ReplaceLoneSurrogates("a😀b"));                                   // a valid pair is kept

        var (t, ml, _) = Stem();
        var (_, counts, sentences) = Run(t, ml, "a red\uD800circle", "a red circle", "\uDC00a red circle\uD83D");
        Assert.Equal(new[] { 3, 3, 3 }, counts);
        Assert.Equal(sentences[1], sentences[0]);
        Assert.Equal(sentences[1], sentences[2]);
    }

    [Fact]
    public void Non_latin_scripts_are_words_known_or_unk_and_dropped_only_in_ascii_mode()
    {
        var (t, ml, _) = Stem();
        Assert.True(t.Vocabulary.IndexOf("красный") > 1);
        var ids = t.ToWordIds("Красный КРУГ", out _, out var unknown);
        Assert.Empty(unknown);
        Assert.Equal(new[] { t.Vocabulary.IndexOf("красный"), t.Vocabulary.IndexOf("круг") }, ids);
        // Scripts without spaces form one word per run of letters; unseen words are <unk>.
        var (_, counts, _) = Run(t, ml, "一个红色的圆", "دائرة حمراء", "κόκκινος κύκλος", "लाल वृत्त");
        Assert.Equal(new[] { 1, 2, 2, 2 }, counts);

        // ASCII-only vocabularies (imported AttnGAN checkpoints) strip non-ASCII letters, as the original does.
        var (ascii, asciiMl, _) = Stem(asciiOnly: true);
        var e = RunFails(ascii, asciiMl, "красный круг");
        Assert.Contains("non-ASCII letters, which this vocabulary drops", e.Message);
    }

    [Fact]
    public void Long_bad_captions_are_quoted_shortened_in_errors()
    {
        var (t, ml, _) = Stem();
        string punctuation = new('!', 50_000);
        var e = RunFails(t, ml, punctuation);
        Assert.True(e.Message.Length < 600, $"message of {e.Message.Length} characters");
        Assert.Contains("(first 80 of 50000 characters)", e.Message);
    }

    // ---- the full chain through ONNX Runtime: caption → text encoder → generator → image → captioner ----

    private sealed class CaptionRow
    {
        public string Caption { get; set; } = "";
    }

    [Fact]
    public void Onnx_chain_generates_and_recaptions_every_caption_with_words_and_names_the_row_otherwise()
    {
        var ml = _onnx.Ml;
        string[] good =
        {
            string.Join(' ', Enumerable.Repeat("a red bar", 3_334)),  // 10,002 words
            "zebra okapi", "a\u0000red\u0007bar", "a red\uD800bar\uDC00", "一个红色的圆", "красный круг",
        };
        using var toImage = ml.Transforms.MirrorGanOnnxTextToImage(new MirrorGanOnnxTextToImageOptions { ModelFolder = _onnx.Folder.Path, OutputPixelsColumnName = "Pixels", Seed = 3 })
            .Fit(ml.Data.LoadFromEnumerable(new[] { new CaptionRow() }));
        var images = toImage.Transform(ml.Data.LoadFromEnumerable(good.Select(c => new CaptionRow { Caption = c })));
        var pixels = images.GetColumn<float[]>("Pixels").ToArray();
        Assert.Equal(good.Length, pixels.Length);
        Assert.All(pixels, p => Assert.All(p, v => Assert.True(v is >= -1f and <= 1f, $"pixel {v}")));

        var resized = ml.Transforms.ResizeImages("Image", StreamCaptioner.StreamTestData.Size, StreamCaptioner.StreamTestData.Size, "GeneratedImage").Fit(images).Transform(images);
        using var captioner = ml.Transforms.MirrorGanOnnxCaptioner(_onnx.Folder.Path).Fit(resized);
        var recaptions = captioner.Transform(resized).GetColumn<string>("GeneratedCaption").ToArray();
        Assert.Equal(good.Length, recaptions.Length);

        foreach (var bad in new[] { "", "?!", "\uD800" })
        {
            var rows = ml.Data.LoadFromEnumerable(new[] { new CaptionRow { Caption = "a red bar" }, new CaptionRow { Caption = bad } });
            var e = Assert.Throws<InvalidOperationException>(() => toImage.Transform(rows).GetColumn<float[]>("Pixels").ToArray());
            Assert.Contains("row 1 of column 'Caption'", e.Message);
            Assert.DoesNotContain(e.Message, c => char.IsControl(c) || char.IsSurrogate(c));
        }
    }
}
