using System.Text.Json;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.StreamCaptioner;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>Scores a saved chain on the dataset's held-out prompts with the library's <see cref="HeldOutEvaluation"/>.</summary>
internal static class Evaluation
{
    /// <summary>The scores of each prompt set by name; with <paramref name="writeGallery"/> also gallery.html, images/ and grid.png in <paramref name="folder"/>.</summary>
    public static Dictionary<string, object> Run(MLContext ml, ITransformer chain, string dataset, int seed, string folder, bool writeGallery,
        MirrorGanEvaluationOptions? quality = null, StreamCaptionerTransformer? judge = null)
    {
        var options = new HeldOutEvaluationOptions { Seed = seed, Judge = judge, Quality = quality, GalleryFolder = writeGallery ? folder : null };
        var scores = dataset switch
        {
            "shapes" => HeldOutEvaluation.Shapes(ml, chain, options),
            "fashion-mnist" => HeldOutEvaluation.FashionMnist(ml, chain, options),
            _ => throw new ArgumentException($"Evaluation for '{dataset}' needs its test split; run the evaluate verb with --dataset shapes, or evaluate CUB/COCO with RPrecision in code."),
        };
        return scores.ToDictionary(x => x.Key, x => (object)x.Value);
    }

    public static void WriteJson(string path, object value) =>
        File.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
}
