using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Captioning;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.QuickStart;

/// <summary>The verbs that work on a saved model.zip.</summary>
internal static class Verbs
{
    public static int Generate(string model, string promptFile, int seed, string output)
    {
        var ml = new MLContext(seed: 1);
        var chain = Load(ml, model);
        var lines = File.ReadAllLines(promptFile);
        for (int i = 0; i < lines.Length; i++)
            if (string.IsNullOrWhiteSpace(lines[i]))
                throw new ArgumentException($"{promptFile}: line {i + 1} is empty; write one caption per line.");
        var rows = lines.Select(l => new Prompts { Caption = l.Trim(), Seed = seed }).ToList();
        var images = chain.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<MLImage>("GeneratedImage").ToArray();
        Directory.CreateDirectory(output);
        for (int i = 0; i < images.Length; i++)
        {
            int size = images[i].Width;
            File.WriteAllBytes(Path.Combine(output, $"{i}.png"), ImageTensor.ToPng(ImageTensor.ToChw(images[i], size), size));
        }
        Console.Error.WriteLine($"wrote {images.Length} image(s) to {output}");
        return 0;
    }

    public static int Caption(string model, string folder)
    {
        var ml = new MLContext(seed: 1);
        var captioner = ((IEnumerable<ITransformer>)Load(ml, model)).OfType<StreamCaptionerTransformer>().LastOrDefault()
            ?? throw new InvalidOperationException($"{model} holds no STREAM captioner.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist.");
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        const int batch = 32;
        for (int start = 0; start < files.Length; start += batch)
        {
            var chunk = files.Skip(start).Take(batch).ToArray();
            // ImageFile checks the header before decoding: a hostile 30,000×30,000 PNG is refused, not allocated.
            var images = chunk.Select(f => ImageFile.Load(f)).ToArray();
            int size = captioner.ImageSize;
            var pixels = new float[images.Length * 3 * size * size];
            for (int i = 0; i < images.Length; i++) ImageTensor.ToChw(images[i], size, pixels.AsSpan(i * 3 * size * size, 3 * size * size));
            using var scope = TorchSharp.torch.NewDisposeScope();
            var captions = captioner.Generate(TorchSharp.torch.tensor(pixels, new long[] { images.Length, 3, size, size }));
            for (int i = 0; i < chunk.Length; i++) Console.WriteLine($"{Path.GetFileName(chunk[i])}\t{captioner.Vocabulary.Decode(captions[i].Ids)}");
            foreach (var img in images) img.Dispose();
        }
        return 0;
    }

    public static int Evaluate(string model, string output, int seed)
    {
        var ml = new MLContext(seed: 1);
        var chain = Load(ml, model);
        var metrics = Evaluation.Run(ml, chain, "shapes", seed, Path.GetDirectoryName(Path.GetFullPath(output))!, writeGallery: false);
        Evaluation.WriteJson(output, new Dictionary<string, object> { ["model"] = model, ["seed"] = seed, ["runs"] = new Dictionary<string, object> { ["model"] = metrics } });
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    private static ITransformer Load(MLContext ml, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model '{path}' does not exist; run the main job first (it writes <out>/model.zip).", path);
        return ml.Model.Load(path, out _);
    }
}
