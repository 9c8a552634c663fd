using Microsoft.ML.MirrorGan.Stem;

namespace Microsoft.ML.MirrorGan;

/// <summary>Catalog entry point of STEM: <c>mlContext.Transforms.TextEmbed(options)</c>.</summary>
public static class TextEmbedCatalog
{
    /// <summary>
    /// An estimator that pretrains STEM with DAMSM on (caption, image, class) rows and maps captions to word
    /// features, a word count and a sentence feature (see <see cref="TextEmbedTransformer"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Options; null uses the paper's sizes (<see cref="TextEmbedOptions.Paper"/>).</param>
    public static TextEmbedEstimator TextEmbed(this TransformsCatalog catalog, TextEmbedOptions? options = null)
    {
        if (catalog is null) throw new ArgumentNullException(nameof(catalog));
        return new TextEmbedEstimator(CatalogEnvironment.Of(catalog), options ?? TextEmbedOptions.Paper());
    }
}
