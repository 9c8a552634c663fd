namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// Rasterises scenes in plain C# with 4×4 supersampling (anti-aliasing), so renders are byte-identical on every
/// platform and every SkiaSharp version.
/// </summary>
internal static class ShapesRenderer
{
    private const int Sub = 4;

    /// <summary>Packed RGB bytes (row-major) of the scene at side <paramref name="size"/>.</summary>
    public static byte[] RenderRgb(ShapesScene scene, int size)
    {
        var rgb = new byte[size * size * 3];
        var bg = ShapesVocabulary.Rgb(scene.Background);
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = bg.R;
            rgb[i + 1] = bg.G;
            rgb[i + 2] = bg.B;
        }
        foreach (var o in scene.Objects)
            Draw(rgb, size, o);
        return rgb;
    }

    private static void Draw(byte[] rgb, int size, ShapesObject o)
    {
        float s = size;
        var c = ShapesVocabulary.Centre[(int)o.Position];
        float cx = (c.X + o.JitterX) * s, cy = (c.Y + o.JitterY) * s;
        float h = ShapesVocabulary.Extent[(int)o.Size] * s / 2;
        var col = ShapesVocabulary.Rgb(o.Color);
        Func<float, float, bool> inside = o.Shape switch
        {
            ShapesShape.Circle => (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= h * h,
            ShapesShape.Square => (x, y) => MathF.Abs(x - cx) <= h && MathF.Abs(y - cy) <= h,
            _ => (x, y) => y <= cy + h && y >= cy - h && MathF.Abs(x - cx) <= (y - (cy - h)) / 2,
        };
        int x0 = Math.Max(0, (int)MathF.Floor(cx - h)), x1 = Math.Min(size - 1, (int)MathF.Ceiling(cx + h));
        int y0 = Math.Max(0, (int)MathF.Floor(cy - h)), y1 = Math.Min(size - 1, (int)MathF.Ceiling(cy + h));
        for (int py = y0; py <= y1; py++)
        for (int px = x0; px <= x1; px++)
        {
            int covered;
            // The shapes are convex: a pixel whose four corners are inside is fully covered.
            if (inside(px, py) && inside(px + 1, py) && inside(px, py + 1) && inside(px + 1, py + 1))
                covered = Sub * Sub;
            else
            {
                covered = 0;
                for (int j = 0; j < Sub; j++)
                for (int i = 0; i < Sub; i++)
                    if (inside(px + (i + 0.5f) / Sub, py + (j + 0.5f) / Sub))
                        covered++;
            }
            if (covered == 0) continue;
            int k = (py * size + px) * 3;
            rgb[k] = Blend(rgb[k], col.R, covered);
            rgb[k + 1] = Blend(rgb[k + 1], col.G, covered);
            rgb[k + 2] = Blend(rgb[k + 2], col.B, covered);
        }
    }

    private static byte Blend(byte under, byte over, int covered) =>
        (byte)((under * (Sub * Sub - covered) + over * covered + Sub * Sub / 2) / (Sub * Sub));
}
