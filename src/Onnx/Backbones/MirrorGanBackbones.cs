using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Onnx.Import;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>Registers the pretrained backbones this assembly can build with <see cref="ImageBackbones"/>.</summary>
public static class MirrorGanBackbones
{
    /// <summary>
    /// Makes the backbone kind <c>resnet18-imagenet</c> (e.g. <c>TextEmbedOptions.Backbone</c>,
    /// <c>StreamCaptionerOptions.Backbone</c>) build ML.NET's ImageNet ResNet-18 with its converted weights, frozen.
    /// The application must reference <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (which copies ~64 MB of ONNX files
    /// into its output folder), or pass the folder that holds them. The conversion runs once and each backbone created
    /// afterwards gets a copy of the converted weights.
    /// </summary>
    /// <param name="modelDirectory">The <c>DnnImageModels</c> folder (default: next to the application).</param>
    public static void RegisterResNet18(string? modelDirectory = null)
    {
        string dir = modelDirectory ?? ResNet18FromOnnx.DefaultModelDirectory;
        // Fail now, where the caller can see why, rather than inside a later fit.
        var template = ResNet18FromOnnx.Load(dir);
        var state = template.state_dict();
        ImageBackbones.Register(ResNetBackbone.ResNet18ImageNetKind, kind =>
        {
            var backbone = ResNetBackbone.CreateResNet18ImageNet();
            backbone.load_state_dict(state);
            backbone.eval();
            return backbone;
        });
    }
}
