using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan.Tests.StreamCaptioner;

/// <summary>Tiny synthetic captioned scenes (colour × shape × position) built in memory.</summary>
internal static class StreamTestData
{
    public const int Size = 32;
    public static readonly string[] Colors = { "red", "green", "blue" };
    public static readonly string[] Shapes = { "square", "bar" };
    public static readonly string[] Positions = { "left", "right" };

    public sealed class Row
    {
        [ImageType(Size, Size)]
        public MLImage Image { get; set; } = null!;

        public string Caption { get; set; } = "";
    }

    public sealed class ImageOnly
    {
        [ImageType(Size, Size)]
        public MLImage Image { get; set; } = null!;
    }

    public sealed class Prediction
    {
        public string GeneratedCaption { get; set; } = "";
        public float CaptionScore { get; set; }
    }

    public static float[] Pixels(int color, int shape, int position, int size = Size)
    {
        var chw = new float[3 * size * size];
        Array.Fill(chw, -1f);
        int plane = size * size, half = size / 2;
        int w = shape == 0 ? size / 4 : size / 3, h = shape == 0 ? size / 4 : size / 8;
        int cx = position == 0 ? half / 2 : half + half / 2, cy = half;
        for (int y = cy - h / 2; y < cy + h / 2; y++)
            for (int x = cx - w / 2; x < cx + w / 2; x++)
                chw[color * plane + y * size + x] = 1f;
        return chw;
    }

    public static string Caption(int color, int shape, int position) => $"a {Colors[color]} {Shapes[shape]} on the {Positions[position]}";

    public static Row[] Rows(int repeats)
    {
        var rows = new List<Row>();
        for (int r = 0; r < repeats; r++)
            for (int c = 0; c < 3; c++)
                for (int s = 0; s < 2; s++)
                    for (int p = 0; p < 2; p++)
                        rows.Add(new Row { Image = ImageTensor.FromChw(Pixels(c, s, p), Size), Caption = Caption(c, s, p) });
        return rows.ToArray();
    }
}
