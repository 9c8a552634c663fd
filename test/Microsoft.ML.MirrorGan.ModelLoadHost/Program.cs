// Usage: ModelLoadHost <model.zip> <input.idv> <output.idv>
// Loads the model the way a service would (Model.Load only), transforms the ML.NET binary input file and
// writes the result as ML.NET binary, so the calling test can compare values bit for bit.
using Microsoft.ML;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ModelLoadHost <model.zip> <input.idv> <output.idv>");
    return 2;
}
var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out _);
var input = ml.Data.LoadFromBinary(args[1]);
var output = model.Transform(input);
using (var stream = File.Create(args[2]))
    ml.Data.SaveAsBinary(output, stream, keepHidden: false);
Console.WriteLine($"loaded {model.GetType().Name}; wrote {args[2]}");
return 0;
