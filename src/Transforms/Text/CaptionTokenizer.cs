using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.MirrorGan.Text;

/// <summary>
/// Splits captions into word tokens the way AttnGAN/MirrorGAN do: lower-case, <c>\w+</c> runs, empty tokens dropped.
/// </summary>
public static partial class CaptionTokenizer
{
    [GeneratedRegex(@"\w+", RegexOptions.CultureInvariant)]
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
        string text = caption.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
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
}
