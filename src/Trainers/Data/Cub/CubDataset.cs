using System.Globalization;
using SkiaSharp;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// CUB-200-2011 birds with the Reed et al. captions, as AttnGAN and MirrorGAN read them: the split's images,
/// bounding-box crops, ten captions each. Captions are read when the set is opened; images when a row is read.
/// </summary>
public sealed class CubDataset : CaptionedImageSet
{
    /// <summary>Opens the split; checks that every file it needs exists and parses.</summary>
    /// <exception cref="DirectoryNotFoundException">A folder is missing.</exception>
    /// <exception cref="FileNotFoundException">A list, split or caption file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (the message names the file and line or offset).</exception>
    public CubDataset(CubOptions options) : base(options ?? throw new ArgumentNullException(nameof(options)))
    {
        Options = options;
        options.ValidateCommon(nameof(CubOptions));
        if (string.IsNullOrWhiteSpace(options.Root) && (options.CubFolder is null || options.TextFolder is null))
            throw new ArgumentException("CubOptions.Root must name the birds folder (the one holding CUB_200_2011/, text/, train/ and test/).", nameof(options));
        string cub = options.CubFolder ?? Path.Combine(options.Root, "CUB_200_2011");
        RequireFolder(cub, "the CUB_200_2011 folder with images.txt, bounding_boxes.txt and images/");
        string text = options.TextFolder ?? FirstExisting(Path.Combine(options.Root, "text"), Path.Combine(cub, "text"));
        RequireFolder(text, "the captions folder text/<class>/<file>.txt (AttnGAN's birds text)");

        var files = ReadTable(Path.Combine(cub, "images.txt"), 1, "'<image id> <class>/<file>.jpg'");
        var boxes = ReadTable(Path.Combine(cub, "bounding_boxes.txt"), 4, "'<image id> <x> <y> <width> <height>'");
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, fields) in files)
            byName[StripJpg(fields[0])] = id;

        IEnumerable<string> names = files.Select(f => StripJpg(f.Fields[0]));
        if (options.Split is { } split || options.SplitFile is not null)
            names = ReadSplit(options.SplitFile ?? Path.Combine(options.Root, options.Split == DatasetSplit.Test ? "test" : "train", "filenames.pickle"));

        var imageFiles = files.ToDictionary(f => f.Id, f => f.Fields[0]);
        var boxById = boxes.ToDictionary(b => b.Id, b => b.Fields);
        SetImages(names.Take(options.MaxImages ?? int.MaxValue).Select(name =>
        {
            string splitSource = options.SplitFile ?? "images.txt";
            if (!byName.TryGetValue(name, out int id))
                throw new InvalidDataException($"CUB split list '{splitSource}' names '{name}', which is not in '{Path.Combine(cub, "images.txt")}'.");
            string relative = imageFiles[id];
            string cls = relative.Split('/')[0];
            if (!boxById.TryGetValue(id, out var box))
                throw new InvalidDataException($"'{Path.Combine(cub, "bounding_boxes.txt")}' has no box for image id {id} ({relative}).");
            string captionFile = Path.Combine(text, name + ".txt");
            if (!File.Exists(captionFile))
                throw new FileNotFoundException($"CUB caption file '{captionFile}' not found (expected text/<class>/<file>.txt with one caption a line).", captionFile);
            var captions = CleanCaptions(File.ReadLines(captionFile), options.CaptionsPerImage);
            if (captions.Count == 0)
                throw new InvalidDataException($"CUB caption file '{captionFile}' has no non-empty line.");
            return new CaptionedImage(id, ClassNumber(cls, relative), cls, Path.Combine(cub, "images", relative),
                box.Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray(), captions);
        }));
    }

    /// <summary>The options.</summary>
    public CubOptions Options { get; }

    /// <inheritdoc/>
    protected override string SplitName => Options.SplitFile is not null ? "custom" : Options.Split switch
    {
        DatasetSplit.Train => "train",
        DatasetSplit.Test => "test",
        _ => "all",
    };

    /// <summary>MirrorGAN's (AttnGAN's <c>get_imgs</c>) crop: a square of side 1.5·max(w, h) around the box centre.</summary>
    protected override SKRectI? Crop(CaptionedImage image) =>
        Options.CropToBoundingBox && image.BoundingBox is { } b ? BoxCrop(b[0], b[1], b[2], b[3]) : null;

    /// <summary>
    /// The crop for box (x, y, w, h) exactly as AttnGAN computes it (integer truncation included); the caller clips it
    /// to the image.
    /// </summary>
    public static SKRectI BoxCrop(float x, float y, float w, float h)
    {
        int r = (int)(Math.Max(w, h) * 0.75f);
        int cx = (int)((2 * x + w) / 2), cy = (int)((2 * y + h) / 2);
        return new SKRectI(Math.Max(0, cx - r), Math.Max(0, cy - r), cx + r, cy + r);
    }

    private static int ClassNumber(string cls, string relative)
    {
        int dot = cls.IndexOf('.');
        return dot > 0 && int.TryParse(cls.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new InvalidDataException($"CUB image '{relative}': class folder '{cls}' does not start with the class number (e.g. '001.Black_footed_Albatross').");
    }

    private static IEnumerable<string> ReadSplit(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"CUB split file '{path}' not found (expected AttnGAN's filenames.pickle; set CubOptions.SplitFile to a plain list, or Split = null for all images).", path);
        var names = path.EndsWith(".pickle", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pkl", StringComparison.OrdinalIgnoreCase)
            ? PickleStringList.Read(path)
            : File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return names.Select(n => StripJpg(n.Replace('\\', '/'))).ToList();
    }

    private static string StripJpg(string name) => name.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;

    private static List<(int Id, string[] Fields)> ReadTable(string path, int fields, string format)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"CUB file '{path}' not found (expected lines {format}).", path);
        var rows = new List<(int, string[])>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != fields + 1 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                || (fields == 4 && !parts.Skip(1).All(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _))))
                throw new InvalidDataException($"CUB file '{path}' line {lineNo}: '{line}' is not {format}.");
            rows.Add((id, parts[1..]));
        }
        return rows;
    }

    private static void RequireFolder(string path, string what)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"CUB folder '{path}' not found (expected {what}). Set CubOptions.Root to AttnGAN's data/birds folder.");
    }

    private static string FirstExisting(params string[] paths) => paths.FirstOrDefault(Directory.Exists) ?? paths[0];
}
