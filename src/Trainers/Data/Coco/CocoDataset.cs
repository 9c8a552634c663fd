using System.Text.Json;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// COCO 2014 captions: the images of the annotation file that have captions, in file order. COCO's caption file has
/// no classes, so <c>ClassId</c> is the image id: DAMSM's same-class masking then masks only an image's own captions.
/// </summary>
public sealed class CocoDataset : CaptionedImageSet
{
    /// <summary>Opens the split's annotation file; images are read when their rows are.</summary>
    /// <exception cref="DirectoryNotFoundException">The image folder is missing.</exception>
    /// <exception cref="FileNotFoundException">The annotation file is missing.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or not a COCO captions file (names file and position).</exception>
    public CocoDataset(CocoOptions options) : base(options ?? throw new ArgumentNullException(nameof(options)))
    {
        Options = options;
        options.ValidateCommon(nameof(CocoOptions));
        string split = options.Split == DatasetSplit.Train ? "train" : "val";
        if (string.IsNullOrWhiteSpace(options.Root) && (options.AnnotationsFile is null || options.ImageFolder is null))
            throw new ArgumentException("CocoOptions.Root must name the COCO folder (holding annotations/ and train2014/, val2014/).", nameof(options));
        string json = options.AnnotationsFile ?? Path.Combine(options.Root, "annotations", $"captions_{split}2014.json");
        string images = options.ImageFolder ?? Path.Combine(options.Root, $"{split}2014");
        if (!File.Exists(json))
            throw new FileNotFoundException($"COCO captions file '{json}' not found (expected captions_{split}2014.json from annotations_trainval2014.zip).", json);
        if (!Directory.Exists(images))
            throw new DirectoryNotFoundException($"COCO image folder '{images}' not found (expected the {split}2014 images, COCO_{split}2014_<id>.jpg).");

        var (files, captions) = Parse(json);
        SetImages(files
            .Where(f => captions.ContainsKey(f.Id))
            .Select(f => new CaptionedImage(f.Id, f.Id, "", Path.Combine(images, f.FileName), null,
                CleanCaptions(captions[f.Id], options.CaptionsPerImage)))
            .Where(i => i.Captions.Count > 0));
    }

    /// <summary>The options.</summary>
    public CocoOptions Options { get; }

    /// <inheritdoc/>
    protected override string SplitName => Options.Split == DatasetSplit.Train ? "train" : "val";

    private static (List<(int Id, string FileName)> Files, Dictionary<int, List<string>> Captions) Parse(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"COCO captions file '{path}' is not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} in the line: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            var files = new List<(int, string)>();
            foreach (var (image, i) in Array(root, "images", path).Select((e, i) => (e, i)))
                files.Add((Int(image, "id", $"images[{i}]", path), Str(image, "file_name", $"images[{i}]", path)));
            var captions = new Dictionary<int, List<string>>();
            foreach (var (a, i) in Array(root, "annotations", path).Select((e, i) => (e, i)))
            {
                int id = Int(a, "image_id", $"annotations[{i}]", path);
                if (!captions.TryGetValue(id, out var list)) captions[id] = list = new List<string>();
                list.Add(Str(a, "caption", $"annotations[{i}]", path));
            }
            return (files, captions);
        }
    }

    private static IEnumerable<JsonElement> Array(JsonElement root, string name, string path) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().ToList()
            : throw new InvalidDataException($"COCO captions file '{path}': the top-level object has no \"{name}\" array (is this a captions_*.json file?).");

    private static int Int(JsonElement e, string name, string where, string path) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)
            ? n
            : throw new InvalidDataException($"COCO captions file '{path}': {where}.{name} is missing or not an integer.");

    private static string Str(JsonElement e, string name, string where, string path) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InvalidDataException($"COCO captions file '{path}': {where}.{name} is missing or not a string.");
}
