using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>What one pass of <see cref="MirrorGanGeneratorNet"/> produces.</summary>
/// <param name="Output">Images per stage and word-attention maps per refinement stage.</param>
/// <param name="Mu">CA mean, B×c.</param>
/// <param name="LogVar">CA log-variance, B×c (for the KL term).</param>
public sealed record MirrorGanGeneration(GlamOutput Output, Tensor Mu, Tensor LogVar);

/// <summary>
/// The trained generator G as MirrorGAN's <c>G_NET</c>: conditioning augmentation (CA) of the sentence feature,
/// then the GLAM cascade (<see cref="GlamGenerator"/>). CA's weights live here so the saved model holds all of G.
/// With <see cref="GlamNetworkOptions.NormalizeSentence"/> the sentence feature is layer-normalised (no learned scale) before CA
/// and before the conditional discriminators: at small widths the raw sentence differences (~0.08) drown in
/// CA noise (~1.0) and the generator ignores the caption (measured on the tiny preset only).
/// With <see cref="GlamNetworkOptions.StandardizeSentence"/> each sentence dimension is first standardised with the training captions' mean
/// and standard deviation (buffers <c>sentence_mean</c>, <c>sentence_inv_std</c>, saved with the weights): a briefly
/// pretrained encoder gives captions that differ in one word sentence features with cosine 0.99+, a shared direction
/// that layer normalisation keeps and standardisation removes (README, "the main job's numbers").
/// </summary>
public sealed class MirrorGanGeneratorNet : nn.Module<Tensor, Tensor, Tensor, Tensor?, MirrorGanGeneration>
{
    private readonly ConditioningAugmentation ca_net;
    private readonly GlamGenerator glam;

    /// <summary>Creates G (orthogonal init as the original).</summary>
    /// <param name="options">
    /// Cascade sizes and sentence handling; <see cref="GlamNetworkOptions.TextDim"/> is the sentence feature size. With
    /// <see cref="GlamNetworkOptions.StandardizeSentence"/> the statistics are set by
    /// <see cref="SetSentenceStatistics(IReadOnlyList{float[]})"/> (identity until then).
    /// </param>
    public MirrorGanGeneratorNet(GlamNetworkOptions options) : base(TorchRuntime.Loaded(nameof(MirrorGanGeneratorNet)))
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        options.Validate();
        Options = options;
        bool standardizeSentence = options.StandardizeSentence;
        ca_net = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        glam = new GlamGenerator(options);
        RegisterComponents();
        if (standardizeSentence)
        {
            // Buffers, so .to(device), state_dict, checkpoints and the saved model carry them; only registered when used,
            // so models saved without them still load strictly.
            register_buffer("sentence_mean", torch.zeros(options.TextDim));
            register_buffer("sentence_inv_std", torch.ones(options.TextDim));
        }
        GlamInit.Apply(ca_net);
    }

    /// <summary>Whether each sentence dimension is standardised with the training statistics before CA.</summary>
    public bool StandardizeSentence => Options.StandardizeSentence;

    /// <summary>
    /// Sets the standardisation from sentence features (rows × D): per-dimension mean and 1/std, with the std floored at
    /// 1e-3 of the largest so a constant dimension is not blown up into noise.
    /// </summary>
    public void SetSentenceStatistics(IReadOnlyList<float[]> sentences)
    {
        if (!StandardizeSentence) throw new InvalidOperationException("This generator was created without sentence standardisation.");
        if (sentences is null || sentences.Count < 2) throw new ArgumentException("Sentence statistics need at least 2 rows.", nameof(sentences));
        int d = Options.TextDim;
        var mean = new double[d];
        var var = new double[d];
        foreach (var s in sentences)
        {
            if (s.Length != d) throw new ArgumentException($"A sentence feature has {s.Length} values; the generator expects {d}.", nameof(sentences));
            for (int i = 0; i < d; i++) mean[i] += s[i];
        }
        for (int i = 0; i < d; i++) mean[i] /= sentences.Count;
        foreach (var s in sentences)
            for (int i = 0; i < d; i++) var[i] += (s[i] - mean[i]) * (s[i] - mean[i]);
        var std = var.Select(v => Math.Sqrt(v / (sentences.Count - 1))).ToArray();
        double floor = Math.Max(std.Max() * 1e-3, 1e-12);
        SetSentenceStatistics(mean.Select(m => (float)m).ToArray(), std.Select(v => (float)(1 / Math.Max(v, floor))).ToArray());
    }

    /// <summary>Sets the standardisation's mean and inverse std (each D values) directly.</summary>
    public void SetSentenceStatistics(float[] mean, float[] inverseStd)
    {
        if (!StandardizeSentence) throw new InvalidOperationException("This generator was created without sentence standardisation.");
        using var noGrad = torch.no_grad();
        var (m, s) = SentenceStatistics();
        using var mt = torch.tensor(mean);
        using var st = torch.tensor(inverseStd);
        m.copy_(mt);
        s.copy_(st);
    }

    /// <summary>The standardisation buffers (mean, inverse std); only with <see cref="StandardizeSentence"/>.</summary>
    public (Tensor Mean, Tensor InverseStd) SentenceStatistics()
    {
        if (!StandardizeSentence) throw new InvalidOperationException("This generator was created without sentence standardisation.");
        return (get_buffer("sentence_mean")!, get_buffer("sentence_inv_std")!);
    }

    /// <summary>The cascade's sizes.</summary>
    public GlamNetworkOptions Options { get; }

    /// <summary>Whether the sentence feature is layer-normalised before CA.</summary>
    public bool NormalizeSentence => Options.NormalizeSentence;

    /// <summary>The cascade without CA.</summary>
    public GlamGenerator Cascade => glam;

    /// <summary>The conditioning augmentation in front of the cascade.</summary>
    public ConditioningAugmentation ConditioningAugmentation => ca_net;

    /// <summary>The sentence feature as CA and the conditional discriminators see it.</summary>
    public Tensor PrepareSentence(Tensor sentence)
    {
        using var scope = NewDisposeScope();
        var s = sentence;
        if (StandardizeSentence)
        {
            var (mean, inverseStd) = SentenceStatistics();
            s = (s - mean) * inverseStd;
        }
        s = NormalizeSentence ? nn.functional.layer_norm(s, new long[] { s.shape[1] }) : s.alias();
        return s.MoveToOuterDisposeScope();
    }

    /// <summary>Samples ε from torch's global generator (training).</summary>
    /// <param name="z">B×Z noise.</param>
    /// <param name="sentence">B×D raw sentence features (normalised here when <see cref="NormalizeSentence"/>).</param>
    /// <param name="words">B×D×L word features.</param>
    /// <param name="padMask">B×L, true at padding words (null: none).</param>
    public override MirrorGanGeneration forward(Tensor z, Tensor sentence, Tensor words, Tensor? padMask)
    {
        using var scope = NewDisposeScope();
        var (mu, logVar) = ca_net.Distribution(PrepareSentence(sentence));
        var eps = torch.randn_like(mu);
        return Keep(Run(z, mu, logVar, eps, words, padMask));
    }

    /// <summary>Like <see cref="forward"/> with a given CA noise ε (B×c), so generation can be seeded per row.</summary>
    public MirrorGanGeneration Generate(Tensor z, Tensor eps, Tensor sentence, Tensor words, Tensor? padMask)
    {
        using var scope = NewDisposeScope();
        var (mu, logVar) = ca_net.Distribution(PrepareSentence(sentence));
        return Keep(Run(z, mu, logVar, eps, words, padMask));
    }

    private MirrorGanGeneration Run(Tensor z, Tensor mu, Tensor logVar, Tensor eps, Tensor words, Tensor? padMask)
    {
        var code = mu + torch.exp(logVar * 0.5) * eps;
        return new MirrorGanGeneration(glam.call(z, code, words, padMask), mu, logVar);
    }

    private static MirrorGanGeneration Keep(MirrorGanGeneration g)
    {
        foreach (var t in g.Output.Images) t.MoveToOuterDisposeScope();
        foreach (var t in g.Output.Attention) t.MoveToOuterDisposeScope();
        g.Output.InitAttention?.MoveToOuterDisposeScope();
        return new MirrorGanGeneration(g.Output, g.Mu.MoveToOuterDisposeScope(), g.LogVar.MoveToOuterDisposeScope());
    }
}
