using Microsoft.Net.Http.Headers;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// The service's input rules, strict and predictable (docs: web service, "Input rules"): exact media types, UTF-8
/// only, an optional UTF-8 byte-order mark, and captions without control or bidirectional-override characters.
/// </summary>
internal static class RequestRules
{
    /// <summary>How an upload to <c>/api/caption</c> is sent.</summary>
    public enum Upload
    {
        /// <summary>Neither an image type nor multipart/form-data.</summary>
        Unsupported,
        /// <summary>A raw <c>image/png</c> or <c>image/jpeg</c> body.</summary>
        Raw,
        /// <summary><c>multipart/form-data</c> with a file part <c>image</c>.</summary>
        Multipart,
    }

    private static readonly byte[] Utf8Bom = { 0xEF, 0xBB, 0xBF };

    /// <summary>
    /// Null when <paramref name="contentType"/> is exactly <c>application/json</c> (any case), with no charset or
    /// <c>charset=utf-8</c>; otherwise the 415 to answer. <c>application/jsonfoo</c>, <c>text/json</c> and
    /// <c>charset=utf-16</c> are refused.
    /// </summary>
    public static IResult? JsonContentTypeProblem(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return Problems.UnsupportedType("body", contentType, "application/json");
        var charset = HeaderUtilities.RemoveQuotes(media.Charset);
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return Problems.UnsupportedType("body", contentType, "application/json in UTF-8 (charset=utf-8 or no charset)");
        return null;
    }

    /// <summary>The kind of upload <paramref name="contentType"/> names, by its exact media type.</summary>
    public static Upload UploadKind(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return Upload.Unsupported;
        var type = media.MediaType;
        if (type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)) return Upload.Multipart;
        return type.Equals("image/png", StringComparison.OrdinalIgnoreCase) || type.Equals("image/jpeg", StringComparison.OrdinalIgnoreCase)
            ? Upload.Raw : Upload.Unsupported;
    }

    /// <summary>The JSON bytes without a leading UTF-8 byte-order mark (RFC 8259 §8.1 lets a parser ignore one; we do).</summary>
    public static ReadOnlySpan<byte> WithoutUtf8Bom(byte[] body) => body.AsSpan().StartsWith(Utf8Bom) ? body.AsSpan(3) : body;

    /// <summary>
    /// The first character a caption may not hold, described ("the bidirectional control U+202E at index 4"), or null:
    /// control characters (but tab and line breaks), unpaired surrogates, and the bidirectional embedding, override
    /// and isolate controls (U+202A–U+202E, U+2066–U+2069), which would reverse how the echoed caption reads.
    /// </summary>
    public static string? BadCharacter(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(ch)) return $"an unpaired surrogate U+{(int)ch:X4} at index {i}";
            if (char.IsControl(ch) && ch is not ('\t' or '\n' or '\r')) return $"the control character U+{(int)ch:X4} at index {i}";
            if (ch is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069') return $"the bidirectional control U+{(int)ch:X4} at index {i}";
        }
        return null;
    }
}
