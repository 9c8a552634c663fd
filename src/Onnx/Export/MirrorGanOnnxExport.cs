using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// <c>model.ExportToOnnx(folder)</c>: writes every MirrorGAN part of a fitted chain (or of a model loaded with
/// <c>mlContext.Model.Load</c>) as ONNX graphs plus <c>mirrorgan.onnx.json</c>, for services that score with ONNX
/// Runtime alone (<c>mlContext.Transforms.MirrorGanOnnxTextToImage</c> / <c>MirrorGanOnnxCaptioner</c>, or
/// <c>ApplyOnnxModel</c> on a single graph).
/// </summary>
public static class MirrorGanOnnxExport
{
    /// <summary>Exports the text encoder, generator and captioner found in <paramref name="model"/>.</summary>
    /// <param name="model">A transformer or a chain (nested chains are searched).</param>
    /// <param name="folder">Output folder (created if needed).</param>
    /// <param name="attentionMaps">Whether the generator graph also outputs its word-attention maps.</param>
    /// <param name="imageEncoder">
    /// Whether to also export TextEmbed's DAMSM image encoder (<c>image_encoder.onnx</c>: images → region features and
    /// image code, e.g. for R-precision or image search). Off by default: captions-only imports hold an untrained one.
    /// </param>
    /// <returns>The manifest written.</returns>
    public static MirrorGanOnnxManifest ExportToOnnx(this ITransformer model, string folder, bool attentionMaps = false, bool imageEncoder = false)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        var package = new MirrorGanOnnxPackage();
        var found = new List<string>();
        foreach (var t in Flatten(model))
        {
            switch (t)
            {
                case TextEmbedTransformer text when !found.Contains("text encoder"):
                    package.WithTextEmbed(text);
                    if (imageEncoder) package.WithImageEncoder(text);
                    found.Add("text encoder");
                    break;
                case StreamCaptionerTransformer captioner when !found.Contains("captioner"):
                    package.WithCaptioner(captioner);
                    found.Add("captioner");
                    break;
                default:
                    if (GeneratorHooks.TryAdd(package, t, attentionMaps) && !found.Contains("generator")) found.Add("generator");
                    break;
            }
        }
        if (package.IsEmpty)
            throw new ArgumentException(
                $"The model ({model.GetType().Name}) holds no MirrorGAN part that can be exported: expected a TextEmbed, StreamCaptioner or MirrorGAN generator transformer.", nameof(model));
        return package.Save(folder);
    }

    /// <summary>Loads a model zip (<c>mlContext.Model.Save</c> output) and exports it (see <see cref="ExportToOnnx(ITransformer, string, bool, bool)"/>).</summary>
    public static MirrorGanOnnxManifest ExportMirrorGanToOnnx(this ModelOperationsCatalog catalog, string modelPath, string folder, bool attentionMaps = false, bool imageEncoder = false)
    {
        if (catalog is null) throw new ArgumentNullException(nameof(catalog));
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model file '{modelPath}' does not exist.", modelPath);
        var model = catalog.Load(modelPath, out _);
        try
        {
            return model.ExportToOnnx(folder, attentionMaps, imageEncoder);
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer t)
    {
        if (t is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
                foreach (var x in Flatten(inner)) yield return x;
        }
        else
        {
            yield return t;
        }
    }
}

/// <summary>
/// Where the generation transformer (<c>MirrorGanTransformer</c>, on its way) plugs its conditioning augmentation and
/// generator into <see cref="MirrorGanOnnxExport.ExportToOnnx"/>.
/// </summary>
internal static class GeneratorHooks
{
    public static bool TryAdd(MirrorGanOnnxPackage package, ITransformer transformer, bool attentionMaps)
    {
        if (transformer is not Microsoft.ML.MirrorGan.Glam.MirrorGanTransformer t) return false;
        var net = t.Generator;
        (float[], float[])? standardization = null;
        if (net.StandardizeSentence)
        {
            var (mean, inverseStd) = net.SentenceStatistics();
            standardization = (Graph.TorchOnnxOps.Values(mean), Graph.TorchOnnxOps.Values(inverseStd));
        }
        package.WithGenerator(net.ConditioningAugmentation, net.Cascade, attentionMaps, net.NormalizeSentence, standardization);
        return true;
    }
}
