// Usage: ModelLoadHost <model.zip> <input.idv> <output.idv> [imageFolder]
//    or: ModelLoadHost glam-train ... (GlamTrainVerb.cs: tiny GAN training for the kill-and-resume test)
// Loads the model the way a service would (Model.Load only), transforms the ML.NET binary input file and
// writes the result as ML.NET binary, so the calling test can compare values bit for bit.
// With imageFolder: images cannot be stored in .idv, so the input has an 'ImagePath' text column; the host loads
// those files into an 'Image' column (mlContext.Transforms.LoadImages) before the model. Image columns (read or
// generated) are always dropped before writing the output, as .idv cannot hold them.
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

// System.CommandLine, like every tool of the project: --help, and argument errors as one line before anything runs.
var modelArgument = new Argument<string>("model.zip") { Description = "A saved model" };
var inputArgument = new Argument<string>("input.idv") { Description = "ML.NET binary input" };
var outputArgument = new Argument<string>("output.idv") { Description = "Where the transformed rows go" };
var imagesArgument = new Argument<string?>("imageFolder") { Description = "Folder of the 'ImagePath' column's files", Arity = ArgumentArity.ZeroOrOne };
var root = new RootCommand("Loads a model.zip as a service would and transforms an .idv file (test host).") { modelArgument, inputArgument, outputArgument, imagesArgument };
var trainArgs = new Argument<string[]>("args") { Description = "<stem-and-stream.zip> <checkpointFolder> <iterations> <resume 0|1> <pauseMs>", Arity = new ArgumentArity(5, 5) };
var glamTrain = new Command("glam-train", "Tiny GAN training with a line per iteration, for the kill-and-resume test.") { trainArgs };
glamTrain.SetAction(r => GlamTrainVerb.Run(r.GetValue(trainArgs)!));
root.Subcommands.Add(glamTrain);
root.SetAction(r => Transform(r.GetValue(modelArgument)!, r.GetValue(inputArgument)!, r.GetValue(outputArgument)!, r.GetValue(imagesArgument)));
return root.Parse(args).Invoke();

static int Transform(string modelPath, string inputPath, string outputPath, string? imageFolder)
{
    // One intra-op thread, as the calling tests: the same reduction order, so values compare bit for bit.
    TorchSharp.torch.set_num_threads(1);
    var ml = new MLContext(seed: 1);
    var model = ml.Model.Load(modelPath, out _);
    var input = ml.Data.LoadFromBinary(inputPath);
    if (imageFolder is not null)
        input = ml.Transforms.LoadImages("Image", imageFolder, "ImagePath").Fit(input).Transform(input);
    var output = model.Transform(input);
    {
        var images = output.Schema.Where(c => !c.IsHidden && c.Type is ImageDataViewType).Select(c => c.Name).Distinct().ToArray();
        if (images.Length > 0) output = ml.Transforms.DropColumns(images).Fit(output).Transform(output);
    }
    using (var stream = File.Create(outputPath))
        ml.Data.SaveAsBinary(output, stream, keepHidden: false);
    Console.WriteLine($"loaded {model.GetType().Name}; wrote {outputPath}");
    return 0;
}
