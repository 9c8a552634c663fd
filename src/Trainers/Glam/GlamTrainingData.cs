using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// The GAN's training rows in memory: each distinct image once as RGB bytes (CHW, final size; a quarter of floats'
/// memory), each caption's word ids, and — because the text encoder is frozen — its word and sentence features,
/// computed once instead of every step.
/// </summary>
internal sealed class GlamTrainingData
{
    private GlamTrainingData(byte[][] images, int[] imageOf, int[][] tokens, float[][] words, float[][] sentences, string[] captions, int size, int featureSize)
    {
        Images = images;
        ImageOf = imageOf;
        Tokens = tokens;
        Words = words;
        Sentences = sentences;
        Captions = captions;
        Size = size;
        FeatureSize = featureSize;
    }

    public byte[][] Images { get; }
    public int[] ImageOf { get; }
    public int[][] Tokens { get; }
    public float[][] Words { get; }
    public float[][] Sentences { get; }
    public string[] Captions { get; }
    public int Size { get; }
    public int FeatureSize { get; }
    public int Count => Tokens.Length;

    public static GlamTrainingData Read(IDataView data, string captionColumn, string imageColumn, int size, TextEmbedTransformer textEmbed, Action<string> warn)
    {
        // The trainer checked both columns (GetOutputSchema) before reading.
        var cap = data.Schema[captionColumn];
        var img = data.Schema[imageColumn];

        var images = new List<byte[]>();
        var imageOf = new List<int>();
        var tokens = new List<int[]>();
        var captions = new List<string>();
        int skipped = 0;
        var chw = new float[3 * size * size];
        using (var cursor = data.GetRowCursor(new[] { cap, img }))
        {
            var getCaption = cursor.GetGetter<ReadOnlyMemory<char>>(cap);
            var getImage = cursor.GetGetter<MLImage>(img);
            ReadOnlyMemory<char> text = default;
            while (cursor.MoveNext())
            {
                MLImage? picture = null;
                getCaption(ref text);
                getImage(ref picture!);
                if (picture is null) throw new InvalidOperationException($"MirrorGanTrainer: row {cursor.Position} of column '{imageColumn}' has no image.");
                ImageTensor.ToChw(picture, size, chw);
                var bytes = ToBytes(chw);
                // Datasets list an image's captions on consecutive rows: keep one copy of identical pixels.
                if (images.Count == 0 || !images[^1].AsSpan().SequenceEqual(bytes)) images.Add(bytes);
                var wordIds = textEmbed.ToWordIds(text.ToString(), out _, out _);
                if (wordIds.Length == 0) { skipped++; continue; }
                imageOf.Add(images.Count - 1);
                tokens.Add(wordIds);
                captions.Add(text.ToString());
            }
        }
        if (skipped > 0) warn($"MirrorGanTrainer: {skipped} row(s) have no known words in column '{captionColumn}' and were skipped.");
        if (tokens.Count < 2) throw new InvalidOperationException($"MirrorGanTrainer needs at least 2 rows with words in column '{captionColumn}'; found {tokens.Count}.");
        var (words, sentences) = EncodeAll(textEmbed, tokens);
        return new GlamTrainingData(images.ToArray(), imageOf.ToArray(), tokens.ToArray(), words, sentences, captions.ToArray(), size, textEmbed.FeatureSize);
    }

    /// <summary>Frozen text features of every caption, in chunks (word features D×len, sentence D).</summary>
    private static (float[][] Words, float[][] Sentences) EncodeAll(TextEmbedTransformer text, List<int[]> tokens)
    {
        var words = new float[tokens.Count][];
        var sentences = new float[tokens.Count][];
        var encoder = text.TextEncoder;
        var device = encoder.parameters().First().device;
        int d = text.FeatureSize;
        encoder.eval();
        for (int start = 0; start < tokens.Count; start += 256)
        {
            int n = Math.Min(256, tokens.Count - start);
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var chunk = tokens.GetRange(start, n);
            var (ids, lengths) = CaptionBatch.ToTensors(chunk, device);
            var (w, s) = encoder.call(ids, lengths);
            long t = w.shape[2];
            var wv = w.cpu().data<float>().ToArray();
            var sv = s.cpu().data<float>().ToArray();
            for (int k = 0; k < n; k++)
            {
                int len = chunk[k].Length;
                var row = new float[d * len];
                for (int f = 0; f < d; f++)
                    for (int j = 0; j < len; j++)
                        row[f * len + j] = wv[(k * d + f) * t + j];
                words[start + k] = row;
                sentences[start + k] = sv.AsSpan(k * d, d).ToArray();
            }
        }
        return (words, sentences);
    }

    private static byte[] ToBytes(float[] chw)
    {
        var b = new byte[chw.Length];
        for (int i = 0; i < chw.Length; i++) b[i] = (byte)Math.Clamp(MathF.Round((chw[i] + 1f) * 127.5f), 0f, 255f);
        return b;
    }

    /// <summary>
    /// A length-sorted batch (longest first, as the original's prepare_data): real images B×3×S×S in [−1, 1], word features
    /// B×D×L, pad mask B×L, sentence B×D, token ids B×L and lengths.
    /// </summary>
    public GlamBatch Batch(int[] rows, Device device)
    {
        var sorted = rows.OrderByDescending(r => Tokens[r].Length).ThenBy(r => r).ToArray();
        int b = sorted.Length, d = FeatureSize, plane = 3 * Size * Size;
        int l = Tokens[sorted[0]].Length;
        var pixels = new float[b * plane];
        var words = new float[b * d * l];
        var mask = new bool[b * l];
        var sent = new float[b * d];
        var ids = new long[b * l];
        var lengths = new long[b];
        for (int i = 0; i < b; i++)
        {
            int r = sorted[i], len = Tokens[r].Length;
            var img = Images[ImageOf[r]];
            for (int p = 0; p < plane; p++) pixels[i * plane + p] = img[p] / 127.5f - 1f;
            for (int f = 0; f < d; f++)
                Array.Copy(Words[r], f * len, words, (i * d + f) * l, len);
            for (int t = 0; t < l; t++)
            {
                mask[i * l + t] = t >= len;
                ids[i * l + t] = t < len ? Tokens[r][t] : 0;
            }
            Sentences[r].CopyTo(sent, i * d);
            lengths[i] = len;
        }
        return new GlamBatch(
            torch.tensor(pixels, new long[] { b, 3, Size, Size }, device: device),
            torch.tensor(words, new long[] { b, d, l }, device: device),
            torch.tensor(mask, new long[] { b, l }, device: device),
            torch.tensor(sent, new long[] { b, d }, device: device),
            torch.tensor(ids, new long[] { b, l }, device: device),
            lengths);
    }
}

/// <summary>One training batch (see <see cref="GlamTrainingData.Batch"/>).</summary>
internal sealed record GlamBatch(Tensor Real, Tensor Words, Tensor Mask, Tensor Sentence, Tensor Tokens, long[] Lengths);
