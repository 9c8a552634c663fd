namespace Microsoft.ML.MirrorGan.Imaging;

/// <summary>Tiles equally sized CHW images (floats in [−1, 1]) into one PNG, row by row, with a 2-pixel white gutter.</summary>
public static class ImageGrid
{
    /// <summary>Encodes <paramref name="images"/> (each 3×<paramref name="size"/>×<paramref name="size"/>) as a grid PNG.</summary>
    /// <param name="images">The tiles, in reading order.</param>
    /// <param name="size">Side of every tile.</param>
    /// <param name="columns">Tiles per row.</param>
    public static byte[] ToPng(IReadOnlyList<float[]> images, int size, int columns)
    {
        if (images is null || images.Count == 0) throw new ArgumentException("A grid needs at least one image.", nameof(images));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be at least 1.");
        const int gutter = 2;
        int cols = Math.Min(columns, images.Count), rows = (images.Count + cols - 1) / cols;
        int width = cols * (size + gutter) + gutter, height = rows * (size + gutter) + gutter;
        // The PNG helper takes square CHW; pad the canvas to a square of the larger side.
        int side = Math.Max(width, height), plane = side * side, tile = size * size;
        var canvas = new float[3 * plane];
        Array.Fill(canvas, 1f);
        for (int k = 0; k < images.Count; k++)
        {
            if (images[k].Length != 3 * tile)
                throw new ArgumentException($"Image {k} has {images[k].Length} values; 3×{size}×{size} = {3 * tile} were expected.", nameof(images));
            int x0 = gutter + (k % cols) * (size + gutter), y0 = gutter + (k / cols) * (size + gutter);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    Array.Copy(images[k], c * tile + y * size, canvas, c * plane + (y0 + y) * side + x0, size);
        }
        return ImageTensor.ToPng(canvas, side);
    }
}
