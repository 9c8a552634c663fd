using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML;

/// <summary>
/// The estimators of MirrorGAN on <c>mlContext.Transforms</c>: STEM (<see cref="TextEmbed(TransformsCatalog, TextEmbedOptions)"/>),
/// the STREAM captioner (<see cref="StreamCaptioner(TransformsCatalog, StreamCaptionerOptions, Vocabulary)"/>) and GLAM, the GAN
/// trainer (<see cref="MirrorGan(TransformsCatalog, MirrorGanTrainerOptions, TextEmbedTransformer, StreamCaptionerTransformer)"/>). Each has a simple overload (column names;
/// the <c>Tiny</c> presets, which fit on a CPU in minutes) and an <c>Options</c> overload (any preset: <c>Tiny()</c>,
/// <c>Cub()</c>, <c>Coco()</c>: the same three presets on all three option classes).
/// </summary>
public static partial class MirrorGanCatalog
{
    /// <summary>
    /// STEM with the tiny preset (<see cref="TextEmbedOptions.Tiny"/>): pretrains the text encoder with DAMSM on (caption,
    /// image) rows and maps captions to word features, a word count and a sentence feature.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="captionColumnName">Input caption column (Text).</param>
    /// <param name="imageColumnName">Input image column (MLImage), read while fitting.</param>
    public static TextEmbedEstimator TextEmbed(this TransformsCatalog catalog, string captionColumnName = "Caption", string imageColumnName = "Image") =>
        catalog.TextEmbed(With(TextEmbedOptions.Tiny(), o => (o.CaptionColumnName, o.ImageColumnName) = (captionColumnName, imageColumnName)));

    /// <summary>STEM with the given options (see <see cref="TextEmbedTransformer"/> for the output columns).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Options, e.g. <see cref="TextEmbedOptions.Tiny"/> or <see cref="TextEmbedOptions.Cub"/>.</param>
    public static TextEmbedEstimator TextEmbed(this TransformsCatalog catalog, TextEmbedOptions options) =>
        new(Env(catalog), options ?? throw new ArgumentNullException(nameof(options), "Pass TextEmbedOptions, e.g. TextEmbedOptions.Tiny() or TextEmbedOptions.Cub()."));

    /// <summary>
    /// The STREAM captioner with the tiny preset (<see cref="StreamCaptionerOptions.Tiny"/>): fits on an image and a caption
    /// column; the fitted transformer captions the image column (text and log-probability). Its vocabulary is built from
    /// the captions; to train the captioner MirrorGAN's loss needs, use the options overload with the text encoder's
    /// vocabulary.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="imageColumnName">Input image column (MLImage).</param>
    /// <param name="captionColumnName">Input caption column (Text), read while fitting.</param>
    /// <param name="outputCaptionColumnName">Output caption column (Text).</param>
    public static StreamCaptionerEstimator StreamCaptioner(this TransformsCatalog catalog, string imageColumnName = "Image", string captionColumnName = "Caption",
        string outputCaptionColumnName = "GeneratedCaption") =>
        catalog.StreamCaptioner(With(StreamCaptionerOptions.Tiny(),
            o => (o.ImageColumnName, o.CaptionColumnName, o.OutputCaptionColumnName) = (imageColumnName, captionColumnName, outputCaptionColumnName)));

    /// <summary>The STREAM captioner with the given options.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Options, e.g. <see cref="StreamCaptionerOptions.Tiny"/> or <see cref="StreamCaptionerOptions.Cub"/>.</param>
    /// <param name="vocabulary">
    /// The vocabulary to caption with, e.g. a fitted text encoder's (<c>textEmbedModel.Vocabulary</c>), which MirrorGAN's
    /// re-description loss needs; null: built from the training captions.
    /// </param>
    public static StreamCaptionerEstimator StreamCaptioner(this TransformsCatalog catalog, StreamCaptionerOptions options, Vocabulary? vocabulary = null) =>
        new(Env(catalog), options ?? throw new ArgumentNullException(nameof(options), "Pass StreamCaptionerOptions, e.g. StreamCaptionerOptions.Tiny() or StreamCaptionerOptions.Cub()."), vocabulary);

    /// <summary>
    /// MirrorGAN with the tiny preset (<see cref="MirrorGanTrainerOptions.Tiny"/>): fits TextEmbed and the STREAM captioner
    /// first, then the generator and its discriminator on (caption, image) rows, and returns the fitted chain
    /// TextEmbed → MirrorGan → StreamCaptioner (captions in; images and their re-captions out).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="captionColumnName">Input caption column (Text).</param>
    /// <param name="imageColumnName">Input image column (MLImage), read while fitting.</param>
    public static MirrorGanTrainer MirrorGan(this TransformsCatalog catalog, string captionColumnName = "Caption", string imageColumnName = "Image") =>
        catalog.MirrorGan(With(MirrorGanTrainerOptions.Tiny(), o => (o.CaptionColumnName, o.ImageColumnName) = (captionColumnName, imageColumnName)));

    /// <summary>MirrorGAN with the given options, and optionally a pretrained text encoder and captioner (used frozen).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Options, e.g. <see cref="MirrorGanTrainerOptions.Tiny"/>, <see cref="MirrorGanTrainerOptions.Cub"/> or <see cref="MirrorGanTrainerOptions.Coco"/>.</param>
    /// <param name="textEmbed">A fitted TextEmbed; null: fitted first with <see cref="MirrorGanTrainerOptions.TextEmbedOptions"/>.</param>
    /// <param name="streamCaptioner">A fitted captioner with <paramref name="textEmbed"/>'s vocabulary; null: fitted first with <see cref="MirrorGanTrainerOptions.StreamCaptionerOptions"/>.</param>
    public static MirrorGanTrainer MirrorGan(this TransformsCatalog catalog, MirrorGanTrainerOptions options, TextEmbedTransformer? textEmbed = null, StreamCaptionerTransformer? streamCaptioner = null) =>
        new(Env(catalog), options ?? throw new ArgumentNullException(nameof(options), "Pass MirrorGanTrainerOptions, e.g. MirrorGanTrainerOptions.Tiny() or MirrorGanTrainerOptions.Cub()."), textEmbed, streamCaptioner);

    // A preset with the simple overload's column names set.
    private static T With<T>(T options, Action<T> set)
    {
        set(options);
        return options;
    }

    private static Microsoft.ML.Runtime.IHostEnvironment Env(TransformsCatalog catalog) => Microsoft.ML.MirrorGan.CatalogEnvironment.Of(catalog);
}
