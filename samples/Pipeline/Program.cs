// The README's pipeline example, word for word between the markers (a test compares them and runs this program):
//   dotnet run --project samples/Pipeline -c Release
// README:begin
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;

var ml = new MLContext(seed: 1);
IDataView train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { Count = 200 }); // Caption, Image, ClassId
var options = MirrorGanTrainerOptions.Tiny();
options.Iterations = 100;                                // the main job trains 4,200
// Fits STEM (TextEmbed, DAMSM pretraining) and STREAM (the captioner) first, then GLAM against both, frozen.
// Pretrained ones go in as arguments: ml.Transforms.MirrorGan(options, textEmbed, streamCaptioner).
var pipeline = ml.Transforms.MirrorGan(options);
var model = pipeline.Fit(train);                         // TextEmbed → MirrorGan → StreamCaptioner
var prompts = ml.Data.LoadFromEnumerable(new[] { new Prompt("a small red circle on the left") });
ml.Model.Save(model, prompts.Schema, "model.zip");
var output = ml.Model.Load("model.zip", out _).Transform(prompts); // GeneratedImage (MLImage), GeneratedCaption
Console.WriteLine($"re-captioned as: {output.GetColumn<string>("GeneratedCaption").First()}");
public sealed record Prompt(string Caption);
// README:end
