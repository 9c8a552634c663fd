using Microsoft.ML.MirrorGan.Stem;
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
/// With <see cref="NormalizeSentence"/> the sentence feature is layer-normalised (no learned scale) before CA
/// and before the conditional discriminators: at small widths the raw sentence differences (~0.08) drown in
/// CA noise (~1.0) and the generator ignores the caption (measured; PLATFORM_FACTS, tiny preset only).
/// </summary>
public sealed class MirrorGanGeneratorNet : nn.Module<Tensor, Tensor, Tensor, Tensor?, MirrorGanGeneration>
{
    private readonly ConditioningAugmentation ca_net;
    private readonly GlamGenerator glam;

    /// <summary>Creates G (orthogonal init as the original).</summary>
    /// <param name="options">Cascade sizes; <see cref="GlamNetworkOptions.TextDim"/> is the sentence feature size.</param>
    /// <param name="normalizeSentence">Layer-normalise the sentence feature before CA (tiny preset).</param>
    public MirrorGanGeneratorNet(GlamNetworkOptions options, bool normalizeSentence) : base(nameof(MirrorGanGeneratorNet))
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        options.Validate();
        Options = options;
        NormalizeSentence = normalizeSentence;
        ca_net = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        glam = new GlamGenerator(options);
        RegisterComponents();
        GlamInit.Apply(ca_net);
    }

    /// <summary>The cascade's sizes.</summary>
    public GlamNetworkOptions Options { get; }

    /// <summary>Whether the sentence feature is layer-normalised before CA.</summary>
    public bool NormalizeSentence { get; }

    /// <summary>The cascade without CA.</summary>
    public GlamGenerator Cascade => glam;

    /// <summary>The conditioning augmentation in front of the cascade.</summary>
    public ConditioningAugmentation ConditioningAugmentation => ca_net;

    /// <summary>The sentence feature as CA and the conditional discriminators see it.</summary>
    public Tensor PrepareSentence(Tensor sentence) =>
        NormalizeSentence ? nn.functional.layer_norm(sentence, new long[] { sentence.shape[1] }) : sentence.alias();

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
