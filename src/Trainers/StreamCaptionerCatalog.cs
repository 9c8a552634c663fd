using Microsoft.ML.MirrorGan.Captioning;

namespace Microsoft.ML;

/// <summary>Catalog extension for the STREAM captioner.</summary>
public static class StreamCaptionerCatalog
{
    /// <summary>
    /// A STREAM image captioner: fits on an image column and a caption column; the fitted transformer captions an
    /// image column (text + log-probability). Pass the text encoder's vocabulary in
    /// <see cref="StreamCaptionerOptions.Vocabulary"/> to train the captioner that MirrorGAN's caption loss needs.
    /// </summary>
    public static StreamCaptionerEstimator StreamCaptioner(this TransformsCatalog catalog, StreamCaptionerOptions options) =>
        new(Microsoft.ML.MirrorGan.CatalogEnvironment.Of(catalog), options);
}
