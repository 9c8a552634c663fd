using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>The generate verb: one PNG per line of a prompt file, from a saved model.zip.</summary>
internal static class GenerateVerb
{
    public static int Run(string model, string promptFile, int seed, string output)
    {
        var ml = new MLContext(seed: 1);
        var chain = EvaluateVerb.Load(ml, model);
        var lines = File.ReadAllLines(promptFile);
        for (int i = 0; i < lines.Length; i++)
            if (string.IsNullOrWhiteSpace(lines[i]))
                throw new ArgumentException($"{promptFile}: line {i + 1} is empty; write one caption per line.");
        // Line i gets seed N + i: one noise draw per image, so a set of prompts is not judged on a single draw.
        var rows = lines.Select((l, i) => new Prompts { Caption = l.Trim(), Seed = unchecked(seed + i) }).ToList();
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
}
