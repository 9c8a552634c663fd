using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML;

/// <summary>Catalog extensions for the ONNX-Runtime-backed MirrorGAN transformers.</summary>
public static class MirrorGanOnnxCatalog
{
    /// <summary>Caption → image from an ONNX export folder (ONNX Runtime only).</summary>
    public static MirrorGanOnnxEstimator<MirrorGanOnnxTextToImageTransformer> MirrorGanOnnxTextToImage(this TransformsCatalog catalog, MirrorGanOnnxTextToImageOptions options)
    {
        var env = CatalogEnvironment.Of(catalog);
        if (options is null) throw new ArgumentNullException(nameof(options));
        return new(() => new MirrorGanOnnxTextToImageTransformer(env, options),
            options.CaptionColumnName, TextDataViewType.Instance,
            new[] { SchemaShapes.Scalar(options.OutputImageColumnName, new ImageDataViewType()) }
                .Concat(options.OutputPixelsColumnName is null ? Array.Empty<SchemaShape.Column>() : new[] { SchemaShapes.Vector(options.OutputPixelsColumnName, NumberDataViewType.Single) }).ToArray());
    }

    /// <summary>Caption → image from an ONNX export folder, with default columns (Caption → GeneratedImage).</summary>
    public static MirrorGanOnnxEstimator<MirrorGanOnnxTextToImageTransformer> MirrorGanOnnxTextToImage(this TransformsCatalog catalog, string modelFolder) =>
        catalog.MirrorGanOnnxTextToImage(new MirrorGanOnnxTextToImageOptions { ModelFolder = modelFolder });

    /// <summary>Image → caption from an ONNX export folder (ONNX Runtime only).</summary>
    public static MirrorGanOnnxEstimator<MirrorGanOnnxCaptionerTransformer> MirrorGanOnnxCaptioner(this TransformsCatalog catalog, MirrorGanOnnxCaptionerOptions options)
    {
        var env = CatalogEnvironment.Of(catalog);
        if (options is null) throw new ArgumentNullException(nameof(options));
        return new(() => new MirrorGanOnnxCaptionerTransformer(env, options),
            options.ImageColumnName, new ImageDataViewType(),
            new[] { SchemaShapes.Scalar(options.OutputCaptionColumnName, TextDataViewType.Instance), SchemaShapes.Scalar(options.OutputScoreColumnName, NumberDataViewType.Single) });
    }

    /// <summary>Image → caption from an ONNX export folder, with default columns (Image → GeneratedCaption, CaptionScore).</summary>
    public static MirrorGanOnnxEstimator<MirrorGanOnnxCaptionerTransformer> MirrorGanOnnxCaptioner(this TransformsCatalog catalog, string modelFolder) =>
        catalog.MirrorGanOnnxCaptioner(new MirrorGanOnnxCaptionerOptions { ModelFolder = modelFolder });
}
