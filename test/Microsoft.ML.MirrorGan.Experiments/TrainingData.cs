using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>Loads the training rows of the chosen dataset and picks the default preset for it.</summary>
internal static class TrainingData
{
    public static (IDataView Train, string Preset) Load(MLContext ml, TrainSettings s)
    {
        switch (s.Dataset)
        {
            case "shapes":
                Console.WriteLine($"Data: built-in Shapes, {ShapesSplit.TrainScenes} scenes × 2 captions at 64 px; held out: " +
                    string.Join(", ", ShapesSplit.HeldOutPairs.Select(p => $"{p.Item1} {p.Item2}".ToLowerInvariant())));
                return (ml.Data.LoadMirrorGanShapes(ShapesSplit.Train(s.Seed)), s.Preset ?? "tiny");
            case "fashion-mnist":
                Console.WriteLine("Data: Fashion-MNIST (Debian dataset-fashion-mnist), first 6,000 training images × 2 captions at 64 px");
                return (ml.Data.LoadFashionMnist(new FashionMnistOptions { ImageSize = 64, MaxImages = 6000, CaptionsPerImage = 2, Seed = s.Seed }), s.Preset ?? "tiny");
            case "cub":
                return (ml.Data.LoadCub(new CubOptions { Root = Require(s), Split = DatasetSplit.Train, ImageSize = 64 << (Presets.Trainer(s.Preset ?? "cub").Network.Stages - 1) }), s.Preset ?? "cub");
            case "coco":
                return (ml.Data.LoadCocoCaptions(new CocoOptions { Root = Require(s), Split = DatasetSplit.Train, ImageSize = 64 << (Presets.Trainer(s.Preset ?? "coco").Network.Stages - 1) }), s.Preset ?? "coco");
            default:
                throw new ArgumentException($"Unknown dataset '{s.Dataset}'. Use shapes, fashion-mnist, cub or coco.");
        }
    }

    private static string Require(TrainSettings s) => s.DataPath ?? throw new ArgumentException(
        $"--dataset {s.Dataset} needs --data-path (the folder in AttnGAN's layout, e.g. data/birds or data/coco); nothing is downloaded.");
}

/// <summary>Preset names → trainer options.</summary>
internal static class Presets
{
    public static Glam.MirrorGanTrainerOptions Trainer(string name) => name switch
    {
        "tiny" => Glam.MirrorGanTrainerOptions.Tiny(),
        "cub" => Glam.MirrorGanTrainerOptions.Cub(),
        "coco" => Glam.MirrorGanTrainerOptions.Coco(),
        _ => throw new ArgumentException($"Unknown preset '{name}'. Use tiny, cub or coco."),
    };
}

/// <summary>The input rows of the saved chain: a caption and a seed.</summary>
internal sealed class Prompts
{
    public string Caption { get; set; } = "";
    public int Seed { get; set; }

    public static DataViewSchema Schema(MLContext ml) => ml.Data.LoadFromEnumerable(new[] { new Prompts() }).Schema;
}
