using Microsoft.ML.MirrorGan.Glam;

namespace Microsoft.ML;

/// <summary>Catalog entry point of GLAM: <c>mlContext.Transforms.MirrorGan(options)</c>.</summary>
public static class MirrorGanCatalog
{
    /// <summary>
    /// The MirrorGAN trainer: fits the generator cascade and its discriminators on (caption, image) rows with a frozen
    /// TextEmbed and STREAM captioner (given, or fitted first), and returns the generation transformer.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Options; null is <see cref="MirrorGanTrainerOptions.Tiny"/>.</param>
    public static MirrorGanTrainer MirrorGan(this TransformsCatalog catalog, MirrorGanTrainerOptions? options = null) =>
        new(Microsoft.ML.MirrorGan.CatalogEnvironment.Of(catalog), options ?? MirrorGanTrainerOptions.Tiny());
}
