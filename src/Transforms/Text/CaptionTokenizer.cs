using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.MirrorGan.Text;

/// <summary>
/// Splits captions into word tokens the way AttnGAN/MirrorGAN do: lower-case, <c>\w+</c> runs (with combining marks, so
/// Indic words stay whole), empty tokens dropped. Control characters, punctuation and unpaired surrogates separate words.
/// </summary>
public static partial class CaptionTokenizer
{
    // \w plus combining marks: .NET's \w leaves out spacing marks (Mc), which split Devanagari, Bengali, Tamil ... words
    // inside a word ("लाल" would be two tokens). ASCII text tokenises exactly as AttnGAN's \w+.
    [GeneratedRegex(@"[\w\p{M}]+", RegexOptions.CultureInvariant)]
    private static partial Regex WordRegex();

    /// <summary>Tokenises <paramref name="caption"/>.</summary>
    /// <param name="caption">Any text; null is treated as empty.</param>
    /// <param name="asciiOnly">
    /// The original drops non-ASCII characters from each token (Python's <c>encode('ascii', 'ignore')</c>), so
    /// "café" becomes "caf" and non-Latin words vanish. Keep it true only to match imported checkpoints; the
    /// default keeps Unicode letters (normalised to NFKC) so non-Latin captions have tokens.
    /// </param>
    public static List<string> Tokenize(string? caption, bool asciiOnly = false)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(caption)) return tokens;
        // string.Normalize throws on a lone UTF-16 surrogate (text cut in the middle of a pair by a client or a
        // database column); such a half character can never be part of a word, so it becomes U+FFFD, a separator.
        string text = ReplaceLoneSurrogates(caption).Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        foreach (Match m in WordRegex().Matches(text))
        {
            string t = m.Value;
            if (asciiOnly)
            {
                var sb = new StringBuilder(t.Length);
                foreach (char c in t) if (c < 128) sb.Append(c);
                t = sb.ToString();
            }
            if (t.Length > 0) tokens.Add(t);
        }
        return tokens;
    }

    /// <summary><paramref name="text"/> with every unpaired UTF-16 surrogate replaced by U+FFFD (the same string when there is none).</summary>
    public static string ReplaceLoneSurrogates(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        char[]? fixedChars = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (!char.IsSurrogate(c)) continue;
            fixedChars ??= text.ToCharArray();
            fixedChars[i] = '\uFFFD';
        }
        return fixedChars is null ? text : new string(fixedChars);
    }
}
