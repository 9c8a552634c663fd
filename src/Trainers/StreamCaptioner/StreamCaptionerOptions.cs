namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>Options of <see cref="StreamCaptionerEstimator"/> (the STREAM image captioner).</summary>
public sealed class StreamCaptionerOptions
{
    /// <summary>Input image column (<c>MLImage</c>).</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Training caption column (Text); only read by <c>Fit</c>.</summary>
    public string CaptionColumnName { get; set; } = "Caption";

    /// <summary>Output caption column (Text).</summary>
    public string OutputCaptionColumnName { get; set; } = "GeneratedCaption";

    /// <summary>Output score column (Single: total log-probability of the generated caption).</summary>
    public string OutputScoreColumnName { get; set; } = "CaptionScore";

    /// <summary>Side images are resized to before they enter the network.</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>The CNN trunk (a 64-px small CNN of width 32 by default; its <c>Kind</c> string is what a saved model records).</summary>
    public Backbones.ImageBackboneOptions Backbone { get; set; } = new Backbones.SmallCnnBackboneOptions { InputSize = 64, Width = 32 };

    /// <summary>
    /// Side of the region grid whose pooled features join the global image feature (0: the original's globally pooled
    /// feature only). The global average pool forgets where objects are; 4 lets captions name positions.
    /// </summary>
    public int RegionGrid { get; set; } = 4;

    /// <summary>Image-feature and word-embedding size (256 in the paper).</summary>
    public int EmbedSize { get; set; } = 256;

    /// <summary>LSTM hidden size (512 in the paper).</summary>
    public int HiddenSize { get; set; } = 512;

    /// <summary>Training captions longer than this are cut (first words kept); also the generation limit.</summary>
    public int MaxWords { get; set; } = 18;

    /// <summary>Beam width at captioning time (1 = greedy).</summary>
    public int BeamWidth { get; set; } = 1;

    /// <summary>
    /// Momentum of the encoder's BatchNorm1d running statistics: 0.01 as the original (long trainings); short ones
    /// (a few hundred steps) want about 0.1, or captioning in eval mode sees statistics that lag the weights.
    /// </summary>
    public double BatchNormMomentum { get; set; } = 0.01;

    /// <summary>Training epochs.</summary>
    public int Epochs { get; set; } = 5;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Stops training after this long (checked between steps); null: no limit.</summary>
    public TimeSpan? MaxTrainingTime { get; set; }

    /// <summary>Seed of weights and batch order.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Device: "cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Report progress every this many steps (and at each epoch's end).</summary>
    public int ReportEvery { get; set; } = 50;

    /// <summary>Receives training progress (also logged through the ML.NET channel).</summary>
    public IProgress<StreamProgress>? Progress { get; set; }

    /// <summary>A small, fast configuration (tests, Shapes, Fashion-MNIST).</summary>
    public static StreamCaptionerOptions Tiny() => new()
    {
        Backbone = new Backbones.SmallCnnBackboneOptions { InputSize = 32, Width = 16 },
        ImageSize = 32,
        EmbedSize = 64,
        HiddenSize = 128,
        MaxWords = 12,
        BatchSize = 32,
        Epochs = 3,
        LearningRate = 2e-3,
        BatchNormMomentum = 0.1,
    };

    /// <summary>CUB as the paper: decoder embedding 256, LSTM 512, pooled-only image feature, 18 words, on a 64-px small CNN.</summary>
    public static StreamCaptionerOptions Cub() => new() { EmbedSize = 256, HiddenSize = 512, MaxWords = 18, BatchSize = 64, LearningRate = 1e-3, RegionGrid = 0 };

    /// <summary>COCO: the CUB decoder with 12 words per caption (AttnGAN's COCO <c>WORDS_NUM</c>; MirrorGAN's COCO settings are unpublished).</summary>
    public static StreamCaptionerOptions Coco() => new() { EmbedSize = 256, HiddenSize = 512, MaxWords = 12, BatchSize = 64, LearningRate = 1e-3, RegionGrid = 0 };

    // Estimators keep a copy, so a caller changing the options after creating one does not change what it fits.
    internal StreamCaptionerOptions Clone() => (StreamCaptionerOptions)MemberwiseClone();

    internal void Validate()
    {
        static void Positive(int v, string name) { if (v < 1) throw new ArgumentOutOfRangeException(name, v, $"{name} must be at least 1."); }
        Positive(ImageSize, nameof(ImageSize));
        Positive(EmbedSize, nameof(EmbedSize));
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(MaxWords, nameof(MaxWords));
        Positive(BeamWidth, nameof(BeamWidth));
        Positive(Epochs, nameof(Epochs));
        Positive(BatchSize, nameof(BatchSize));
        Positive(ReportEvery, nameof(ReportEvery));
        if (RegionGrid < 0) throw new ArgumentOutOfRangeException(nameof(RegionGrid), RegionGrid, "RegionGrid must be 0 (off) or positive.");
        if (!(BatchNormMomentum > 0 && BatchNormMomentum <= 1)) throw new ArgumentOutOfRangeException(nameof(BatchNormMomentum), BatchNormMomentum, "BatchNormMomentum must be in (0, 1].");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        foreach (var (v, n) in new[] { (ImageColumnName, nameof(ImageColumnName)), (CaptionColumnName, nameof(CaptionColumnName)), (OutputCaptionColumnName, nameof(OutputCaptionColumnName)), (OutputScoreColumnName, nameof(OutputScoreColumnName)) })
            if (string.IsNullOrWhiteSpace(v)) throw new ArgumentException($"{n} must be set.", n);
        if (Backbone is null) throw new ArgumentNullException(nameof(Backbone), "StreamCaptionerOptions.Backbone must be set, e.g. new SmallCnnBackboneOptions().");
    }
}
