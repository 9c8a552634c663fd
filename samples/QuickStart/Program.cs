// The README's main job. It grows with the project: today it checks the native back end and reports what
// is available; the GLAM trainer issue turns it into "train MirrorGAN on built-in Shapes and generate".
using Microsoft.ML.MirrorGan;
using TorchSharp;

TorchRuntime.EnsureLoaded();
var device = TorchRuntime.ResolveDevice("auto");
Console.WriteLine($"Microsoft.ML.MirrorGan QuickStart");
Console.WriteLine($"  TorchSharp {typeof(torch).Assembly.GetName().Version}, device: {device}, threads: {torch.get_num_threads()}");
using (var scope = torch.NewDisposeScope())
{
    var x = torch.randn(1, 3, 64, 64);
    var y = torch.nn.functional.conv2d(x, torch.randn(8, 3, 3, 3), padding: new long[] { 1, 1 });
    Console.WriteLine($"  native check: conv2d {string.Join("x", x.shape)} -> {string.Join("x", y.shape)} ok");
}
Console.WriteLine("  available now: ML.NET persistence base for TorchSharp transformers (save/load model.zip).");
Console.WriteLine("  coming (see issues): Shapes/Fashion-MNIST/CUB/COCO data, TextEmbed (STEM), StreamCaptioner (STREAM),");
Console.WriteLine("  MirrorGanTrainer (GLAM), ONNX export. This command will then train on built-in Shapes and generate images.");
