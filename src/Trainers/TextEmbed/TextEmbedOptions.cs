namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>Options of the <c>TextEmbed</c> estimator (STEM + DAMSM pretraining). Defaults are the paper's sizes.</summary>
public sealed class TextEmbedOptions
{
    /// <summary>Caption column (Text).</summary>
    public string CaptionColumnName { get; set; } = "Caption";

    /// <summary>Image column (MLImage) used for pretraining.</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Class column (Int32) for same-class masking in the DAMSM losses; null disables masking.</summary>
    public string? ClassIdColumnName { get; set; } = "ClassId";

    /// <summary>Output word features column.</summary>
    public string WordFeaturesColumnName { get; set; } = "WordFeatures";

    /// <summary>Output word count column.</summary>
    public string WordCountColumnName { get; set; } = "WordCount";

    /// <summary>Output sentence feature column.</summary>
    public string SentenceFeatureColumnName { get; set; } = "SentenceFeature";

    /// <summary>Output image feature column (only when <see cref="TransformImages"/>).</summary>
    public string ImageFeatureColumnName { get; set; } = "ImageFeature";

    /// <summary>Whether the fitted transformer also maps <see cref="ImageColumnName"/> to an image feature (then every input needs that column).</summary>
    public bool TransformImages { get; set; }

    /// <summary>Word embedding size (300 in the paper).</summary>
    public int EmbeddingSize { get; set; } = 300;

    /// <summary>LSTM hidden size per direction (128 in the paper); features have twice this size.</summary>
    public int HiddenSize { get; set; } = 128;

    /// <summary>Embedding dropout while training.</summary>
    public double Dropout { get; set; } = 0.5;

    /// <summary>Word slots W (WORDS_NUM, 18 in the paper). Longer captions lose random words in training (order kept) and keep their first W at inference.</summary>
    public int MaxWords { get; set; } = 18;

    /// <summary>Reserve <c>&lt;unk&gt;</c> for unseen words (default). False is the original's behaviour: unknown words are dropped with a warning.</summary>
    public bool UseUnknownToken { get; set; } = true;

    /// <summary>Keep only ASCII characters of tokens (the original's behaviour); false keeps Unicode letters.</summary>
    public bool AsciiOnly { get; set; }

    /// <summary>What the transformer does with a caption that has no words.</summary>
    public EmptyCaptionHandling EmptyCaption { get; set; } = EmptyCaptionHandling.Error;

    /// <summary>The DAMSM image trunk (a 64-px small CNN of width 32 by default; its <c>Kind</c> string is what a saved model records).</summary>
    public Backbones.ImageBackboneOptions Backbone { get; set; } = new Backbones.SmallCnnBackboneOptions { InputSize = 64, Width = 32 };

    /// <summary>Side images are resized to before the backbone.</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>Passes over the training rows.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Stop after this much training time even if epochs remain (null: no limit).</summary>
    public TimeSpan? MaxTrainingTime { get; set; }

    /// <summary>Rows per step (48 in the paper).</summary>
    public int BatchSize { get; set; } = 48;

    /// <summary>Adam learning rate (0.002 in the paper).</summary>
    public double LearningRate { get; set; } = 0.002;

    /// <summary>Per-epoch learning rate factor, applied while lr &gt; <see cref="LearningRate"/>/10 (0.98 in the paper).</summary>
    public double LearningRateDecay { get; set; } = 0.98;

    /// <summary>
    /// Re-create Adam every epoch, resetting its moments, as the original does. Default false: moments are kept
    /// (smoother on short CPU runs); the learning-rate schedule is the same either way.
    /// </summary>
    public bool ResetOptimizerEachEpoch { get; set; }

    /// <summary>Gradient norm clip on the text encoder's parameters only (0.25 in the paper; 0 disables).</summary>
    public double GradientClipNorm { get; set; } = 0.25;

    /// <summary>γ1, word-attention sharpness (4 in the birds config).</summary>
    public double Gamma1 { get; set; } = 4.0;

    /// <summary>γ2, word-relevance aggregation (5).</summary>
    public double Gamma2 { get; set; } = 5.0;

    /// <summary>γ3, score scale (10).</summary>
    public double Gamma3 { get; set; } = 10.0;

    /// <summary>Seed for weights, batching and word dropping (null: the MLContext's random source).</summary>
    public int? Seed { get; set; }

    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Receives progress after every step.</summary>
    public IProgress<TextEmbedProgress>? Progress { get; set; }

    /// <summary>
    /// Small and fast on CPU: embedding 64, hidden 32 per direction (D = 64), 12 words, batch 32, lr 2e-3, small CNN at
    /// 64 px with a flat (position-aware) global feature, <c>small-cnn:64:16:flat</c>: with average pooling, 50 s of DAMSM
    /// left captions that differ only in position at sentence cosine 0.999; with the flat head 0.65 (Shapes, README).
    /// </summary>
    public static TextEmbedOptions Tiny() => new()
    {
        EmbeddingSize = 64,
        HiddenSize = 32,
        MaxWords = 12,
        BatchSize = 32,
        LearningRate = 0.002,
        Backbone = new Backbones.SmallCnnBackboneOptions { InputSize = 64, Width = 16, FlatGlobal = true },
        ImageSize = 64,
        Epochs = 10,
    };

    /// <summary>
    /// CUB as the paper (AttnGAN's DAMSM <c>bird.yml</c>): word embedding 300, hidden 128 per direction (features 256),
    /// 18 words, batch 48, Adam 0.002, γ 4/5/10. The image trunk stays a small CNN until a pretrained one is set.
    /// </summary>
    public static TextEmbedOptions Cub() => new();

    /// <summary>COCO as AttnGAN's DAMSM <c>coco.yml</c>: the CUB sizes with 15 words per caption.</summary>
    public static TextEmbedOptions Coco() => new() { MaxWords = 15 };

    // Estimators keep a copy, so a caller changing the options after creating one does not change what it fits.
    internal TextEmbedOptions Clone() => (TextEmbedOptions)MemberwiseClone();
}

/// <summary>Progress of DAMSM pretraining, reported after each step.</summary>
/// <param name="Epoch">Epoch (0-based).</param>
/// <param name="Step">Step within the epoch (0-based).</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="WordLoss">w_loss0 + w_loss1 of the step.</param>
/// <param name="SentenceLoss">s_loss0 + s_loss1 of the step.</param>
/// <param name="LearningRate">Current learning rate.</param>
/// <param name="Elapsed">Training time so far.</param>
public sealed record TextEmbedProgress(int Epoch, int Step, int StepsPerEpoch, double WordLoss, double SentenceLoss, double LearningRate, TimeSpan Elapsed)
{
    /// <summary>Total loss of the step.</summary>
    public double Loss => WordLoss + SentenceLoss;
}
