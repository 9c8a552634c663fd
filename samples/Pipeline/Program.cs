// The README's pipeline example, word for word between the markers (a test compares them and runs this program):
//   dotnet run --project samples/Pipeline -c Release
// README:begin
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Captioning;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Stem;

var ml = new MLContext(seed: 1);
IDataView train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { Count = 200 }); // Caption, Image, ClassId
var text = ml.Transforms.TextEmbed(TextEmbedOptions.Tiny()).Fit(train);          // STEM: DAMSM pretraining
var captionerOptions = StreamCaptionerOptions.Tiny();
captionerOptions.Vocabulary = text.Vocabulary;
var captioner = ml.Transforms.StreamCaptioner(captionerOptions).Fit(train);      // STREAM: pretrained, then frozen
var ganOptions = MirrorGanTrainerOptions.Tiny();                                  // the main job trains ~20x longer
(ganOptions.TextEmbed, ganOptions.StreamCaptioner, ganOptions.Iterations) = (text, captioner, 100);
var trainer = ml.Transforms.MirrorGan(ganOptions);                               // GLAM with λ·L_stream
var model = trainer.Chain(trainer.Fit(train));        // TextEmbed → MirrorGan → StreamCaptioner
var prompts = ml.Data.LoadFromEnumerable(new[] { new Prompt("a small red circle on the left") });
ml.Model.Save(model, prompts.Schema, "model.zip");
var output = model.Transform(prompts);                // GeneratedImage (MLImage), GeneratedCaption
Console.WriteLine($"re-captioned as: {output.GetColumn<string>("GeneratedCaption").First()}");
public sealed record Prompt(string Caption);
// README:end
