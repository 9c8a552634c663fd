using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Tests.Data;

/// <summary>Tiny CUB and COCO copies in their real on-disk formats, written into a temporary folder.</summary>
internal static class DatasetFixtures
{
    public const string Bird1 = "001.Black_footed_Albatross/Black_Footed_Albatross_0001_796111";
    public const string Bird2 = "002.Laysan_Albatross/Laysan_Albatross_0002_1027";
    public const string Bird3 = "002.Laysan_Albatross/Laysan_Albatross_0003_1033";

    // python3 -c "import pickle,base64; print(base64.b64encode(pickle.dumps([Bird1, Bird2], protocol=2)).decode())"
    public const string Protocol2Pickle =
        "gAJdcQAoWD0AAAAwMDEuQmxhY2tfZm9vdGVkX0FsYmF0cm9zcy9CbGFja19Gb290ZWRfQWxiYXRyb3NzXzAwMDFfNzk2MTExcQFYLwAAADAwMi5MYXlzYW5fQWxiYXRyb3NzL0xheXNhbl9BbGJhdHJvc3NfMDAwMl8xMDI3cQJlLg==";

    // The same list with protocol=4 (FRAME, SHORT_BINUNICODE, MEMOIZE).
    public const string Protocol4Pickle =
        "gASVdwAAAAAAAABdlCiMPTAwMS5CbGFja19mb290ZWRfQWxiYXRyb3NzL0JsYWNrX0Zvb3RlZF9BbGJhdHJvc3NfMDAwMV83OTYxMTGUjC8wMDIuTGF5c2FuX0FsYmF0cm9zcy9MYXlzYW5fQWxiYXRyb3NzXzAwMDJfMTAyN5RlLg==";

    // A list holding an object whose __reduce__ returns (os.system, ("echo pwned",)), protocol=2: GLOBAL at byte 5.
    public const string MaliciousPickle = "gAJdcQBjcG9zaXgKc3lzdGVtCnEBWAoAAABlY2hvIHB3bmVkcQKFcQNScQRhLg==";

    /// <summary>Bird 1's first caption holds a decomposed "è" (e + U+0300); the loader keeps it, NFC-normalised.</summary>
    public const string NonAsciiCaption = "a bird with a cre\u0300me breast";

    /// <summary>
    /// Birds: 1 is a 100x80 RGB JPEG with a red box at (30,20,40,20) (crop 20..80 x 0..60); 2 is a grey JPEG;
    /// 3 is a PNG with a transparent left half (named .jpg, as real copies sometimes are).
    /// </summary>
    public static string WriteCub(string root)
    {
        string cub = Path.Combine(root, "CUB_200_2011");
        File.WriteAllText(Path.Combine(Dir(cub), "images.txt"), $"1 {Bird1}.jpg\n2 {Bird2}.jpg\n3 {Bird3}.jpg\n");
        File.WriteAllText(Path.Combine(cub, "bounding_boxes.txt"), "1 30.0 20.0 40.0 20.0\n2 10.0 10.0 30.0 30.0\n3 0.0 0.0 50.0 50.0\n");
        WriteImage(Path.Combine(cub, "images", Bird1 + ".jpg"), 100, 80, SKColorType.Rgba8888, SKEncodedImageFormat.Jpeg, (c, p) =>
        {
            c.Clear(new SKColor(20, 120, 20));
            p.Color = new SKColor(230, 20, 20);
            c.DrawRect(30, 20, 40, 20, p);
        });
        WriteImage(Path.Combine(cub, "images", Bird2 + ".jpg"), 64, 48, SKColorType.Gray8, SKEncodedImageFormat.Jpeg, (c, p) =>
        {
            c.Clear(new SKColor(90, 90, 90));
        });
        WriteImage(Path.Combine(cub, "images", Bird3 + ".jpg"), 50, 50, SKColorType.Rgba8888, SKEncodedImageFormat.Png, (c, p) =>
        {
            c.Clear(SKColors.Transparent);
            p.Color = new SKColor(0, 0, 200);
            c.DrawRect(25, 0, 25, 50, p);
        });
        string text = Path.Combine(root, "text");
        var lines1 = new[] { NonAsciiCaption, "" }.Concat(Enumerable.Range(2, 9).Select(i => $"bird one caption {i}")).Append("an eleventh line beyond ten");
        File.WriteAllLines(Path.Combine(Dir(Path.Combine(text, "001.Black_footed_Albatross")), "Black_Footed_Albatross_0001_796111.txt"), lines1);
        File.WriteAllLines(Path.Combine(Dir(Path.Combine(text, "002.Laysan_Albatross")), "Laysan_Albatross_0002_1027.txt"),
            Enumerable.Range(1, 10).Select(i => $"bird two caption {i}"));
        File.WriteAllLines(Path.Combine(text, "002.Laysan_Albatross", "Laysan_Albatross_0003_1033.txt"),
            Enumerable.Range(1, 10).Select(i => $"  bird three caption {i}  "));
        File.WriteAllBytes(Path.Combine(Dir(Path.Combine(root, "train")), "filenames.pickle"), Convert.FromBase64String(Protocol2Pickle));
        File.WriteAllBytes(Path.Combine(Dir(Path.Combine(root, "test")), "filenames.pickle"), Convert.FromBase64String(Protocol4Pickle));
        return root;
    }

    /// <summary>COCO: images 42 (2 captions + an empty one) and 7 (1 caption), and 9 without captions.</summary>
    public static string WriteCoco(string root)
    {
        string images = Dir(Path.Combine(root, "val2014"));
        Dir(Path.Combine(root, "annotations"));
        WriteImage(Path.Combine(images, "COCO_val2014_000000000042.jpg"), 40, 30, SKColorType.Rgba8888, SKEncodedImageFormat.Jpeg, (c, _) => c.Clear(SKColors.Orange));
        WriteImage(Path.Combine(images, "COCO_val2014_000000000007.jpg"), 30, 40, SKColorType.Rgba8888, SKEncodedImageFormat.Jpeg, (c, _) => c.Clear(SKColors.Teal));
        File.WriteAllText(Path.Combine(root, "annotations", "captions_val2014.json"), """
            {"info": {"year": 2014}, "images": [
              {"id": 42, "file_name": "COCO_val2014_000000000042.jpg", "width": 40, "height": 30},
              {"id": 9, "file_name": "COCO_val2014_000000000009.jpg", "width": 1, "height": 1},
              {"id": 7, "file_name": "COCO_val2014_000000000007.jpg", "width": 30, "height": 40}],
             "annotations": [
              {"image_id": 42, "id": 1, "caption": "A cat sitting on a mat."},
              {"image_id": 7, "id": 2, "caption": "Un café près de la gare.\n"},
              {"image_id": 42, "id": 3, "caption": "   "},
              {"image_id": 42, "id": 4, "caption": "An orange picture."}]}
            """);
        return root;
    }

    private static void WriteImage(string path, int w, int h, SKColorType type, SKEncodedImageFormat format, Action<SKCanvas, SKPaint> draw)
    {
        Dir(Path.GetDirectoryName(path)!);
        using var rgba = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(rgba))
        using (var paint = new SKPaint { IsAntialias = false })
            draw(canvas, paint);
        using var bitmap = type == SKColorType.Rgba8888 ? rgba.Copy() : rgba.Copy(type);
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static string Dir(string path)
    {
        Directory.CreateDirectory(path);
        return path;
    }
}
