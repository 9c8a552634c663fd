using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>Reads and batches the captioner's training rows (images held as CHW floats in [−1, 1]).</summary>
internal static class StreamTrainingData
{
    public static (float[][] Pixels, string[] Captions) Read(IDataView data, string imageColumn, string captionColumn, int size)
    {
        // The estimator checked both columns (GetOutputSchema) before reading.
        var image = data.Schema[imageColumn];
        var caption = data.Schema[captionColumn];
        var pixels = new List<float[]>();
        var captions = new List<string>();
        using var cursor = data.GetRowCursor(new[] { image, caption });
        var getImage = cursor.GetGetter<MLImage>(image);
        var getCaption = cursor.GetGetter<ReadOnlyMemory<char>>(caption);
        MLImage img = null!;
        ReadOnlyMemory<char> text = default;
        while (cursor.MoveNext())
        {
            getImage(ref img);
            getCaption(ref text);
            var chw = StreamImages.ToChwBatch(new[] { img }, size, imageColumn, new[] { cursor.Position });
            // Datasets list an image's captions on consecutive rows: share one copy of identical pixels.
            pixels.Add(pixels.Count > 0 && pixels[^1].AsSpan().SequenceEqual(chw) ? pixels[^1] : chw);
            captions.Add(text.ToString());
        }
        return (pixels.ToArray(), captions.ToArray());
    }

    public static (int[] Rows, int[][] Tokens, int Unknown) Encode(string[] captions, Vocabulary vocabulary, int maxWords)
    {
        var rows = new List<int>();
        var tokens = new List<int[]>();
        var unknown = new List<string>();
        for (int i = 0; i < captions.Length; i++)
        {
            var ids = vocabulary.Encode(captions[i], unknown);
            if (ids.Count == 0) continue; // nothing to learn from an empty caption
            rows.Add(i);
            tokens.Add(Vocabulary.Fit(ids, maxWords).Ids);
        }
        return (rows.ToArray(), tokens.ToArray(), unknown.Count);
    }

    /// <summary>One batch: images B×3×S×S, token ids B×T (0-padded), lengths.</summary>
    public static (Tensor Images, Tensor Tokens, long[] Lengths) Batch(int[] batch, int[] rows, float[][] pixels, int[][] tokens, int plane, int size, Device device)
    {
        int b = batch.Length;
        var flat = new float[b * plane];
        int t = batch.Max(i => tokens[i].Length);
        var ids = new long[b * t];
        var lengths = new long[b];
        for (int j = 0; j < b; j++)
        {
            int i = batch[j];
            pixels[rows[i]].CopyTo(flat, j * plane);
            for (int k = 0; k < tokens[i].Length; k++) ids[j * t + k] = tokens[i][k];
            lengths[j] = tokens[i].Length;
        }
        return (torch.tensor(flat, new long[] { b, 3, size, size }, device: device), torch.tensor(ids, new long[] { b, t }, device: device), lengths);
    }
}
