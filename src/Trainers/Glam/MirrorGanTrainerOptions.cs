using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Options of <see cref="MirrorGanTrainer"/>. The defaults are the paper's (docs/paper-fidelity.md): Adam 2e-4 (β 0.5/0.999) for G
/// and every D, EMA 0.999, CA KL weight 1, λ = 20. <see cref="Tiny"/> adds the settings a small CPU model needs to learn
/// in minutes (layer-normalised sentence, KL 0.02, lr 6e-4; measured with a small reference model on the project's CPUs).
/// </summary>
public sealed class MirrorGanTrainerOptions
{
    /// <summary>Training caption column (Text).</summary>
    public string CaptionColumnName { get; set; } = "Caption";

    /// <summary>Training image column (MLImage).</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Class column (Int32), only read when the trainer fits <c>TextEmbed</c> itself (same-class masking); null: none.</summary>
    public string? ClassIdColumnName { get; set; } = "ClassId";

    /// <summary>Options for fitting <c>TextEmbed</c> when the trainer is not given a fitted one (default <see cref="TextEmbed.TextEmbedOptions.Tiny"/>).</summary>
    public TextEmbedOptions? TextEmbedOptions { get; set; }

    /// <summary>Options for fitting the captioner when the trainer is not given a fitted one (its vocabulary is always TextEmbed's).</summary>
    public StreamCaptionerOptions? StreamCaptionerOptions { get; set; }

    /// <summary>Generator/discriminator sizes. <see cref="GlamNetworkOptions.TextDim"/> is taken from TextEmbed.</summary>
    public GlamNetworkOptions Network { get; set; } = new();

    /// <summary>Images per step (the original drops the last partial batch).</summary>
    public int BatchSize { get; set; } = 12;

    /// <summary>Generator steps to train (iterations), counted from 0 also across a resume.</summary>
    public int Iterations { get; set; } = 10_000;

    /// <summary>Stop (normally, with a checkpoint) after this much training time; null: no limit.</summary>
    public TimeSpan? MaxTrainingTime { get; set; }

    /// <summary>Adam learning rate of G (2e-4).</summary>
    public double GeneratorLearningRate { get; set; } = 2e-4;

    /// <summary>Adam learning rate of every D (2e-4).</summary>
    public double DiscriminatorLearningRate { get; set; } = 2e-4;

    /// <summary>Adam β1 (0.5).</summary>
    public double Beta1 { get; set; } = 0.5;

    /// <summary>Adam β2 (0.999).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>
    /// λ, the weight of the STREAM re-description loss on the final image. 20 is the paper's best setting (its table);
    /// the authors' <c>train_bird.yml</c> ships 10. 0 turns STREAM off (the ablation).
    /// </summary>
    public double StreamWeight { get; set; } = 20;

    /// <summary>Whether the re-description targets end with <c>&lt;end&gt;</c> as in STREAM pretraining (the original has no end token).</summary>
    public bool StreamIncludesEndToken { get; set; } = true;

    /// <summary>Weight of CA's KL term in G's loss (1 in the original).</summary>
    public double KlWeight { get; set; } = 1;

    /// <summary>Decay of the EMA of G's parameters (0.999); the fitted transformer uses the averaged weights.</summary>
    public double EmaDecay { get; set; } = 0.999;

    /// <summary>
    /// Ramp the EMA decay as min(decay, (1 + t)/(10 + t)) at iteration t, so a short run's average is not dominated by the
    /// random initialisation (off in the original; on in <see cref="Tiny"/>).
    /// </summary>
    public bool EmaWarmup { get; set; }

    /// <summary>
    /// Training batches run through the EMA generator after training to re-estimate its BatchNorm statistics (0, as the
    /// original: the EMA weights keep the live G's running statistics, which their activations do not have; 64 in
    /// <see cref="Tiny"/>). Changes only the fitted transformer, not training or checkpoints.
    /// </summary>
    public int EmaBatchNormBatches { get; set; }

    /// <summary>Seed of weights, noise and batch order.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>"auto" (CUDA when available), "cpu" or "cuda:N".</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Folder for checkpoints (<c>checkpoint.bin</c>); null: no checkpoints.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Write a checkpoint every this many iterations (and at the end and on cancellation); 0: only those.</summary>
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>Continue from <see cref="CheckpointFolder"/>'s checkpoint when one exists (exactly: same losses as an uninterrupted run).</summary>
    public bool Resume { get; set; }

    /// <summary>Folder for sample grids (PNG, fixed noise, EMA weights); null: none.</summary>
    public string? SampleFolder { get; set; }

    /// <summary>Write a sample grid every this many iterations (and at the end); 0: only at the end.</summary>
    public int SampleEvery { get; set; } = 1000;

    /// <summary>Captions (first distinct training captions) × noise draws in each sample grid.</summary>
    public int SampleCaptions { get; set; } = 8;

    /// <summary>Log and report progress every this many iterations.</summary>
    public int ReportEvery { get; set; } = 50;

    /// <summary>Receives progress every <see cref="ReportEvery"/> iterations.</summary>
    public IProgress<MirrorGanProgress>? Progress { get; set; }

    /// <summary>Stops training: a checkpoint is written (when configured) and <see cref="OperationCanceledException"/> is thrown.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Output columns of the fitted transformer.</summary>
    public MirrorGanColumns Columns { get; set; } = new();

    /// <summary>
    /// CPU, minutes: one 64-px stage with word and sentence attention at 16 px (<see cref="GlamNetworkOptions.InitStageAttention"/>),
    /// GF 8, DF 16, Z 32, CA 32, batch 16 (more updates in a fixed CPU budget), lr 6e-4 (G and D), KL weight 0.02, standardised and
    /// layer-normalised sentence, EMA 0.995 with warm-up and its BatchNorm statistics re-estimated on 64 batches, λ = 20, and the
    /// tiny TextEmbed/STREAM presets when they are fitted here. What it scores on Shapes in the main job (batch 8 × 4,200 iterations) is in
    /// the README ("What it scored"): colour, size and position are learned first, shape last.
    /// </summary>
    public static MirrorGanTrainerOptions Tiny() => new()
    {
        Network = new GlamNetworkOptions
        {
            Stages = 1, GeneratorDim = 8, DiscriminatorDim = 16, ResidualBlocks = 1, ZDim = 32, ConditionDim = 32, InitStageAttention = true,
            NormalizeSentence = true, StandardizeSentence = true,
        },
        BatchSize = 16,
        Iterations = 2000,
        GeneratorLearningRate = 6e-4,
        DiscriminatorLearningRate = 6e-4,
        KlWeight = 0.02,
        EmaDecay = 0.995,
        EmaWarmup = true,
        EmaBatchNormBatches = 64,
        TextEmbedOptions = TextEmbed.TextEmbedOptions.Tiny(),
        StreamCaptionerOptions = StreamCaptioner.StreamCaptionerOptions.Tiny(),
        CheckpointEvery = 500,
        SampleEvery = 500,
    };

    /// <summary>The paper's CUB setting: 3 stages to 256 px, GF 32, DF 64, R 2, Z 100, CA 100, batch 12, λ = 20 (yml: 10).</summary>
    public static MirrorGanTrainerOptions Cub() => new()
    {
        Network = new GlamNetworkOptions { Stages = 3, GeneratorDim = 32, DiscriminatorDim = 64, ResidualBlocks = 2, ZDim = 100, ConditionDim = 100 },
        BatchSize = 12,
        StreamIncludesEndToken = false, // the original's re-description targets stop at the last word
        TextEmbedOptions = TextEmbed.TextEmbedOptions.Cub(),
        StreamCaptionerOptions = StreamCaptioner.StreamCaptionerOptions.Cub(),
    };

    /// <summary>COCO sizes as AttnGAN's coco config (MirrorGAN's are unpublished): GF 48, DF 96, R 3, batch 14, 3 stages.</summary>
    public static MirrorGanTrainerOptions Coco() => new()
    {
        Network = new GlamNetworkOptions { Stages = 3, GeneratorDim = 48, DiscriminatorDim = 96, ResidualBlocks = 3, ZDim = 100, ConditionDim = 100 },
        BatchSize = 14,
        StreamIncludesEndToken = false,
        TextEmbedOptions = TextEmbed.TextEmbedOptions.Coco(),
        StreamCaptionerOptions = StreamCaptioner.StreamCaptionerOptions.Coco(),
    };

    // The trainer keeps a copy, so a caller changing the options after creating one does not change what it fits.
    internal MirrorGanTrainerOptions Clone()
    {
        var copy = (MirrorGanTrainerOptions)MemberwiseClone();
        // The text-side options are mutable classes: copied too, or a caller changing them later would change the fit.
        copy.TextEmbedOptions = TextEmbedOptions?.Clone();
        copy.StreamCaptionerOptions = StreamCaptionerOptions?.Clone();
        return copy;
    }

    internal void Validate()
    {
        static void Positive(double v, string name) { if (!(v > 0)) throw new ArgumentOutOfRangeException(name, v, $"MirrorGanTrainerOptions.{name} must be positive."); }
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "MirrorGanTrainerOptions.BatchSize must be at least 2 (BatchNorm and wrong-caption pairs need two rows).");
        if (Iterations < 0) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "MirrorGanTrainerOptions.Iterations must be 0 or more.");
        Positive(GeneratorLearningRate, nameof(GeneratorLearningRate));
        Positive(DiscriminatorLearningRate, nameof(DiscriminatorLearningRate));
        if (Beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Beta1 must be in [0, 1).");
        if (Beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Beta2 must be in [0, 1).");
        if (!(StreamWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(StreamWeight), StreamWeight, "StreamWeight (λ) must be 0 or more.");
        if (!(KlWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(KlWeight), KlWeight, "KlWeight must be 0 or more.");
        if (EmaDecay is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "EmaDecay must be in [0, 1).");
        if (CheckpointEvery < 0 || SampleEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), "CheckpointEvery and SampleEvery must be 0 or more.");
        if (EmaBatchNormBatches < 0) throw new ArgumentOutOfRangeException(nameof(EmaBatchNormBatches), EmaBatchNormBatches, "MirrorGanTrainerOptions.EmaBatchNormBatches must be 0 (keep the live statistics) or more.");
        if (ReportEvery < 1) throw new ArgumentOutOfRangeException(nameof(ReportEvery), ReportEvery, "ReportEvery must be at least 1.");
        if (SampleCaptions < 1) throw new ArgumentOutOfRangeException(nameof(SampleCaptions), SampleCaptions, "SampleCaptions must be at least 1.");
        if (Resume && CheckpointFolder is null) throw new ArgumentException("Resume needs CheckpointFolder: set it to the folder holding checkpoint.bin.", nameof(Resume));
        if (Network is null) throw new ArgumentNullException(nameof(Network), "MirrorGanTrainerOptions.Network must be set (e.g. from a preset).");
    }
}
