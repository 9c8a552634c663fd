// Usage: OnnxHost <export folder>
// Scores caption → image and image → caption through the ONNX-backed ML.NET transformers, prints the results, then
// reports whether any TorchSharp/libtorch native library is mapped into this process (/proc/self/maps on Linux).
// Exit codes: 0 ok, 2 usage, 3 a TorchSharp native was loaded.
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Onnx;

var folderArgument = new Argument<string>("export folder") { Description = "An ONNX export (mirrorgan.onnx.json + graphs)" };
var root = new RootCommand("Scores caption → image → caption through ONNX Runtime only and reports whether TorchSharp loaded (test host).") { folderArgument };
string folder = "";
root.SetAction(r =>
{
    folder = r.GetValue(folderArgument)!;
    return -1;
});
int parsed = root.Parse(args).Invoke();
if (parsed != -1) return parsed == 0 ? 0 : 2; // --help, or a usage error (exit code 2 as before)
var ml = new MLContext(seed: 0);
var captions = ml.Data.LoadFromEnumerable(new[] { new CaptionRow { Caption = "a red square on the left" }, new CaptionRow { Caption = "a blue bar" } });
using var textToImage = ml.Transforms.MirrorGanOnnxTextToImage(new MirrorGanOnnxTextToImageOptions { ModelFolder = folder, OutputPixelsColumnName = "Pixels", Seed = 7 }).Fit(captions);
var generated = textToImage.Transform(captions);
var pixels = generated.GetColumn<float[]>("Pixels").ToArray();
foreach (var p in pixels) Console.WriteLine($"image sum {p.Sum(x => (double)x):R}");

using var captioner = ml.Transforms.MirrorGanOnnxCaptioner(new MirrorGanOnnxCaptionerOptions { ModelFolder = folder, ImageColumnName = "GeneratedImage" }).Fit(generated);
foreach (var c in captioner.Transform(generated).GetColumn<string>("GeneratedCaption")) Console.WriteLine($"caption '{c}'");

var torch = File.Exists("/proc/self/maps")
    ? File.ReadAllLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
        .Where(p => p.Contains("libtorch", StringComparison.OrdinalIgnoreCase) || p.Contains("LibTorchSharp", StringComparison.OrdinalIgnoreCase)).Distinct().ToList()
    : new List<string>();
Console.WriteLine($"onnxruntime loaded: {File.ReadAllText("/proc/self/maps").Contains("libonnxruntime", StringComparison.Ordinal)}");
Console.WriteLine($"torch natives loaded: {torch.Count}{(torch.Count > 0 ? " (" + string.Join(", ", torch) + ")" : "")}");
return torch.Count == 0 ? 0 : 3;

internal sealed class CaptionRow
{
    public string Caption { get; set; } = "";
}
