using System.Text;

namespace Microsoft.ML.MirrorGan.Text;

/// <summary>Helpers for showing user-supplied caption text in error messages and logs.</summary>
public static class CaptionText
{
    /// <summary>
    /// <paramref name="caption"/> in double quotes for an error message: at most <paramref name="maxChars"/> characters
    /// (a 10,000-word caption would otherwise flood the log), control characters and unpaired surrogates escaped as
    /// <c>\uXXXX</c> (so a caption cannot forge log lines), and its full length when cut.
    /// </summary>
    public static string Quote(string? caption, int maxChars = 80)
    {
        if (caption is null) return "(null)";
        var sb = new StringBuilder(Math.Min(caption.Length, maxChars) + 24).Append('"');
        int shown = 0;
        for (int i = 0; i < caption.Length && shown < maxChars; i++, shown++)
        {
            char c = caption[i];
            bool pair = char.IsHighSurrogate(c) && i + 1 < caption.Length && char.IsLowSurrogate(caption[i + 1]);
            if (pair) { sb.Append(c).Append(caption[++i]); continue; }
            if (char.IsControl(c) || char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append('"');
        if (caption.Length > maxChars)
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $" (first {maxChars} of {caption.Length} characters)");
        return sb.ToString();
    }
}
