using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.StreamCaptioner;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>The caption verb: the captions a saved model's STREAM captioner gives every image of a folder.</summary>
internal static class CaptionVerb
{
    public static int Run(string model, string folder)
    {
        var ml = new MLContext(seed: 1);
        var captioner = ((IEnumerable<ITransformer>)EvaluateVerb.Load(ml, model)).OfType<StreamCaptionerTransformer>().LastOrDefault()
            ?? throw new InvalidOperationException($"{model} holds no STREAM captioner.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist.");
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        // 32 files at a time: a large folder is never decoded whole.
        foreach (var chunk in files.Chunk(32))
        {
            // ImageFile checks the header before decoding: a hostile 30,000×30,000 PNG is refused, not allocated.
            var images = chunk.Select(f => ImageFile.Load(f)).ToArray();
            var captions = captioner.Caption(images);
            for (int i = 0; i < chunk.Length; i++) Console.WriteLine($"{Path.GetFileName(chunk[i])}\t{captions[i]}");
            foreach (var image in images) image.Dispose();
        }
        return 0;
    }
}
