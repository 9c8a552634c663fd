// Usage: ModelLoadHost <model.zip> <input.idv> <output.idv> [imageFolder]
//    or: ModelLoadHost glam-train ... (GlamTrainVerb.cs: tiny GAN training for the kill-and-resume test)
// Loads the model the way a service would (Model.Load only), transforms the ML.NET binary input file and
// writes the result as ML.NET binary, so the calling test can compare values bit for bit.
// With imageFolder: images cannot be stored in .idv, so the input has an 'ImagePath' text column; the host loads
// those files into an 'Image' column (mlContext.Transforms.LoadImages) before the model. Image columns (read or
// generated) are always dropped before writing the output, as .idv cannot hold them.
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

if (args.Length > 0 && args[0] == "glam-train") return GlamTrainVerb.Run(args[1..]);

if (args.Length is not (3 or 4))
{
    Console.Error.WriteLine("usage: ModelLoadHost <model.zip> <input.idv> <output.idv> [imageFolder]");
    return 2;
}
var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out _);
var input = ml.Data.LoadFromBinary(args[1]);
if (args.Length == 4)
    input = ml.Transforms.LoadImages("Image", args[3], "ImagePath").Fit(input).Transform(input);
var output = model.Transform(input);
{
    var images = output.Schema.Where(c => !c.IsHidden && c.Type is ImageDataViewType).Select(c => c.Name).Distinct().ToArray();
    if (images.Length > 0) output = ml.Transforms.DropColumns(images).Fit(output).Transform(output);
}
using (var stream = File.Create(args[2]))
    ml.Data.SaveAsBinary(output, stream, keepHidden: false);
Console.WriteLine($"loaded {model.GetType().Name}; wrote {args[2]}");
return 0;
