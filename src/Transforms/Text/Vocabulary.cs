using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.MirrorGan.Text;

/// <summary>
/// Word ↔ index map shared by STEM (<c>TextEmbed</c>) and STREAM (<c>StreamCaptioner</c>). Index 0 is
/// <c>&lt;end&gt;</c>, which is also padding (as in AttnGAN). With <see cref="HasUnknownToken"/>, index 1 is
/// <c>&lt;unk&gt;</c> and words never seen in training map to it; without it (compatibility with imported
/// checkpoints, whose vocabularies have no unknown word) such words are dropped.
/// </summary>
/// <remarks>Thread-safety: immutable after construction; safe to share across threads.</remarks>
public sealed class Vocabulary : IEquatable<Vocabulary>
{
    /// <summary>Index of <c>&lt;end&gt;</c> / padding.</summary>
    public const int EndIndex = 0;

    /// <summary>Index of <c>&lt;unk&gt;</c> when <see cref="HasUnknownToken"/>.</summary>
    public const int UnknownIndex = 1;

    /// <summary>The end/padding token text.</summary>
    public const string EndToken = "<end>";

    /// <summary>The unknown-word token text.</summary>
    public const string UnknownToken = "<unk>";

    private readonly string[] _words;
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a vocabulary from its words in index order (index 0 must be <c>&lt;end&gt;</c>).</summary>
    public Vocabulary(IReadOnlyList<string> wordsByIndex, bool hasUnknownToken, bool asciiOnly = false)
    {
        if (wordsByIndex is null || wordsByIndex.Count == 0 || wordsByIndex[0] != EndToken)
            throw new ArgumentException($"A vocabulary's index 0 must be '{EndToken}'.", nameof(wordsByIndex));
        if (hasUnknownToken && (wordsByIndex.Count < 2 || wordsByIndex[1] != UnknownToken))
            throw new ArgumentException($"A vocabulary with an unknown token must have '{UnknownToken}' at index 1.", nameof(wordsByIndex));
        _words = wordsByIndex.ToArray();
        _index = new Dictionary<string, int>(_words.Length, StringComparer.Ordinal);
        for (int i = 0; i < _words.Length; i++)
            if (!_index.TryAdd(_words[i], i))
                throw new ArgumentException($"Word '{_words[i]}' appears twice in the vocabulary (indices {_index[_words[i]]} and {i}).", nameof(wordsByIndex));
        HasUnknownToken = hasUnknownToken;
        AsciiOnly = asciiOnly;
    }

    /// <summary>Builds a vocabulary from captions: words numbered in first-seen order after the reserved tokens.</summary>
    public static Vocabulary Build(IEnumerable<string?> captions, bool hasUnknownToken = true, bool asciiOnly = false, int minCount = 1)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var c in captions)
            foreach (var t in CaptionTokenizer.Tokenize(c, asciiOnly))
            {
                if (!counts.TryGetValue(t, out int n)) order.Add(t);
                counts[t] = n + 1;
            }
        var words = new List<string> { EndToken };
        if (hasUnknownToken) words.Add(UnknownToken);
        words.AddRange(order.Where(w => counts[w] >= minCount && w != EndToken && w != UnknownToken));
        return new Vocabulary(words, hasUnknownToken, asciiOnly);
    }

    /// <summary>Number of entries, reserved tokens included.</summary>
    public int Count => _words.Length;

    /// <summary>Whether unseen words map to <see cref="UnknownIndex"/> (otherwise they are dropped).</summary>
    public bool HasUnknownToken { get; }

    /// <summary>Whether tokens keep only ASCII characters (the original's behaviour).</summary>
    public bool AsciiOnly { get; }

    /// <summary>Words in index order.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>The word at <paramref name="index"/>.</summary>
    public string this[int index] => _words[index];

    /// <summary>The index of <paramref name="word"/>, or -1.</summary>
    public int IndexOf(string word) => _index.TryGetValue(word, out int i) ? i : -1;

    /// <summary>Encodes a caption into word indices (no end token appended).</summary>
    /// <param name="caption">The caption.</param>
    /// <param name="unknownWords">Receives the words that were not in the vocabulary (mapped to &lt;unk&gt; or dropped).</param>
    public List<int> Encode(string? caption, List<string>? unknownWords = null) =>
        Tokens(caption, unknownWords).Select(t => t.Id).ToList();

    /// <summary>
    /// The words of a caption that reach a model limited to <paramref name="maxWords"/> words, in order, as written: what
    /// <see cref="Encode"/> followed by <see cref="Fit"/> (first words, as at inference) keeps. For labelling attention maps
    /// and telling a user which words were ignored.
    /// </summary>
    /// <param name="caption">The caption.</param>
    /// <param name="maxWords">The model's word limit.</param>
    public CaptionSlots Slots(string? caption, int maxWords)
    {
        var unknown = new List<string>();
        var tokens = Tokens(caption, unknown).ToList();
        var (ids, truncated) = Fit(tokens.Select(t => t.Id).ToList(), maxWords);
        var kept = tokens.Take(ids.Length).ToList();
        return new CaptionSlots(kept.Select(t => t.Word).ToArray(), kept.Count(t => t.Id != UnknownIndex || !HasUnknownToken), unknown, truncated);
    }

    // The one rule for which words take a slot: known words, and unknown ones only when there is an <unk> token.
    private IEnumerable<(string Word, int Id)> Tokens(string? caption, List<string>? unknownWords)
    {
        foreach (var t in CaptionTokenizer.Tokenize(caption, AsciiOnly))
        {
            if (_index.TryGetValue(t, out int i)) yield return (t, i);
            else
            {
                unknownWords?.Add(t);
                if (HasUnknownToken) yield return (t, UnknownIndex);
            }
        }
    }

    /// <summary>Turns indices back into text, stopping at the first <c>&lt;end&gt;</c>.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == EndIndex) break;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(id >= 0 && id < _words.Length ? _words[id] : UnknownToken);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Fits <paramref name="ids"/> into <paramref name="maxWords"/>. With a random source, keeps a random subset of
    /// positions in their original order (AttnGAN's training-time word dropping); without one, keeps the first words.
    /// </summary>
    /// <returns>The kept ids, and whether any were removed.</returns>
    public static (int[] Ids, bool Truncated) Fit(IReadOnlyList<int> ids, int maxWords, Random? random = null)
    {
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "maxWords must be at least 1.");
        if (ids.Count <= maxWords) return (ids.ToArray(), false);
        if (random is null) return (ids.Take(maxWords).ToArray(), true);
        var positions = Enumerable.Range(0, ids.Count).ToArray();
        random.Shuffle(positions);
        var keep = positions.Take(maxWords).Order().ToArray();
        return (keep.Select(p => ids[p]).ToArray(), true);
    }

    /// <summary>A short stable fingerprint of the word ↔ index map (used to check that two models share a vocabulary).</summary>
    public string Fingerprint
    {
        get
        {
            var bytes = Encoding.UTF8.GetBytes(string.Join("\n", _words) + (HasUnknownToken ? "\nU" : "\nN") + (AsciiOnly ? "A" : "W"));
            return Convert.ToHexString(SHA256.HashData(bytes), 0, 8);
        }
    }

    /// <summary>Writes the vocabulary.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(1); // format version
        writer.Write(HasUnknownToken);
        writer.Write(AsciiOnly);
        writer.Write(_words.Length);
        foreach (var w in _words) writer.Write(w);
    }

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    public static Vocabulary Load(BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != 1) throw new InvalidDataException($"Vocabulary format version {version} is not supported (this build reads version 1).");
        bool unk = reader.ReadBoolean(), ascii = reader.ReadBoolean();
        int n = reader.ReadInt32();
        if (n < 1 || n > 50_000_000) throw new InvalidDataException($"Vocabulary size {n} is not plausible; the model file is damaged.");
        var words = new string[n];
        for (int i = 0; i < n; i++) words[i] = reader.ReadString();
        return new Vocabulary(words, unk, ascii);
    }

    /// <summary>
    /// Throws a clear error when <paramref name="other"/> differs (e.g. a captioner trained with another text
    /// encoder's vocabulary: MirrorGAN issue #11's shape error, made impossible).
    /// </summary>
    public void EnsureSameAs(Vocabulary other, string thisName, string otherName)
    {
        if (Equals(other)) return;
        int firstDiff = Enumerable.Range(0, Math.Min(Count, other.Count)).FirstOrDefault(i => _words[i] != other._words[i], -1);
        string where = firstDiff >= 0 ? $" first difference at index {firstDiff}: '{_words[firstDiff]}' vs '{other._words[firstDiff]}';" : "";
        throw new InvalidOperationException(
            $"{thisName} and {otherName} use different vocabularies ({Count} vs {other.Count} words, fingerprints {Fingerprint} vs {other.Fingerprint};{where} " +
            $"unknown token {HasUnknownToken} vs {other.HasUnknownToken}). Fit {otherName} with {thisName}'s vocabulary.");
    }

    /// <inheritdoc/>
    public bool Equals(Vocabulary? other) =>
        other is not null && HasUnknownToken == other.HasUnknownToken && AsciiOnly == other.AsciiOnly && _words.AsSpan().SequenceEqual(other._words);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Vocabulary);

    /// <inheritdoc/>
    public override int GetHashCode() => Fingerprint.GetHashCode(StringComparison.Ordinal);
}

/// <summary>The words of a caption that reach a model (<see cref="Vocabulary.Slots"/>).</summary>
/// <param name="Words">The words kept, in order, as written (an unknown word keeps its spelling where it takes the &lt;unk&gt; slot).</param>
/// <param name="Known">How many of them the vocabulary knows.</param>
/// <param name="Unknown">Every word of the caption the vocabulary does not know (kept as &lt;unk&gt; or dropped).</param>
/// <param name="Truncated">Whether words past the model's limit were dropped.</param>
public sealed record CaptionSlots(IReadOnlyList<string> Words, int Known, IReadOnlyList<string> Unknown, bool Truncated);
