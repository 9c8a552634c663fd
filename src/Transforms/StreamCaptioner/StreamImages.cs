using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>Turns rows of <see cref="MLImage"/> into the captioner's input (N×3×size×size floats in [−1, 1]).</summary>
internal static class StreamImages
{
    /// <summary>
    /// Converts every image (resizing any size, grey/BGRA → RGB); a missing or undecodable image fails with the row
    /// position and column name.
    /// </summary>
    public static float[] ToChwBatch(IReadOnlyList<MLImage?> images, int size, string column, IReadOnlyList<long>? rowPositions)
    {
        int plane = 3 * size * size;
        var result = new float[images.Count * plane];
        for (int i = 0; i < images.Count; i++)
        {
            long row = rowPositions is not null && i < rowPositions.Count ? rowPositions[i] : i;
            var image = images[i] ?? throw new InvalidOperationException(
                $"Row {row}: column '{column}' has no image (the file is missing or could not be decoded). Remove the row or fix the file.");
            try
            {
                ImageTensor.ToChw(image, size, result.AsSpan(i * plane, plane));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or ObjectDisposedException)
            {
                throw new InvalidOperationException($"Row {row}: column '{column}' holds an image that cannot be read ({e.Message}). Remove the row or fix the file.", e);
            }
        }
        return result;
    }
}
