using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>Which tokens of a caption reach the model, so attention maps can be labelled with the words they belong to.</summary>
internal static class CaptionWordList
{
    public static CaptionWords Of(string caption, Vocabulary vocabulary, int maxWords)
    {
        var kept = new List<string>();
        var unknown = new List<string>();
        int known = 0;
        bool truncated = false;
        foreach (var token in CaptionTokenizer.Tokenize(caption, vocabulary.AsciiOnly))
        {
            bool isKnown = vocabulary.IndexOf(token) >= 0;
            if (!isKnown) unknown.Add(token);
            // Without an <unk> token the vocabulary drops unknown words, so they take no attention slot.
            if (!isKnown && !vocabulary.HasUnknownToken) continue;
            if (kept.Count == maxWords) { truncated = true; continue; }
            kept.Add(token);
            if (isKnown) known++;
        }
        return new CaptionWords(kept, known, unknown, truncated);
    }
}
