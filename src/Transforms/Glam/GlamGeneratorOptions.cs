namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>Sizes of the GLAM generator cascade and its discriminators (docs/paper-fidelity.md).</summary>
public sealed record GlamNetworkOptions
{
    /// <summary>Number of stages, 1 to 3 (64, 128, 256 px with the default base size).</summary>
    public int Stages { get; init; } = 3;

    /// <summary>Side of the first stage's images; each later stage doubles it. Must be 64 with 4 up-blocks from 4×4.</summary>
    public int BaseSize => 64;

    /// <summary>GF_DIM: generator channels at each stage's output (the init stage starts at 16·GF).</summary>
    public int GeneratorDim { get; init; } = 32;

    /// <summary>DF_DIM: discriminator base channels.</summary>
    public int DiscriminatorDim { get; init; } = 64;

    /// <summary>R_NUM: residual blocks per refinement stage.</summary>
    public int ResidualBlocks { get; init; } = 2;

    /// <summary>Z_DIM: noise size.</summary>
    public int ZDim { get; init; } = 100;

    /// <summary>CONDITION_DIM: size of the conditioning-augmentation sample c_code.</summary>
    public int ConditionDim { get; init; } = 100;

    /// <summary>Text feature size D (word and sentence features of the text encoder).</summary>
    public int TextDim { get; init; } = 256;

    /// <summary>Reproduce AttnGAN issue #93's word-attention mask tiling (for imported checkpoints). Off by default.</summary>
    public bool ReproduceAttnGanMaskBug { get; init; }

    /// <summary>
    /// Word and sentence attention plus a residual block at 16 px inside the first stage (<see cref="InitStageAttention"/>),
    /// so even a single-stage generator reads individual words. Not in the paper; on in the trainer's tiny preset, off in the paper presets.
    /// </summary>
    public bool InitStageAttention { get; init; }

    /// <summary>
    /// Layer-normalise the sentence feature (no learned scale) before conditioning augmentation and the conditional
    /// discriminator heads (off in the original; on in the trainer's tiny preset).
    /// </summary>
    public bool NormalizeSentence { get; init; }

    /// <summary>
    /// Standardise each sentence dimension with the training captions' mean and standard deviation before the layer norm
    /// (off in the original; on in the trainer's tiny preset). The statistics are buffers of the generator, computed once
    /// by the trainer from the frozen TextEmbed's features and saved with its weights.
    /// </summary>
    public bool StandardizeSentence { get; init; }

    /// <summary>Side of the last stage's images.</summary>
    public int FinalSize => BaseSize << (Stages - 1);

    internal void Validate()
    {
        if (Stages is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(Stages), Stages, "Stages must be 1, 2 or 3.");
        foreach (var (name, v) in new[] { (nameof(GeneratorDim), GeneratorDim), (nameof(DiscriminatorDim), DiscriminatorDim), (nameof(ZDim), ZDim), (nameof(ConditionDim), ConditionDim), (nameof(TextDim), TextDim) })
            if (v < 1) throw new ArgumentOutOfRangeException(name, v, $"{name} must be positive.");
        if (ResidualBlocks < 0) throw new ArgumentOutOfRangeException(nameof(ResidualBlocks), ResidualBlocks, "ResidualBlocks cannot be negative.");
    }
}
