using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>
/// Conditioning Augmentation (AttnGAN's <c>CA_NET</c>): Linear(D → 4c) → GLU → μ (first c) and log σ² (last c);
/// the condition code is sampled μ + exp(½ log σ²) ⊙ ε at training and test time alike, as the original does.
/// </summary>
public sealed class ConditioningAugmentation : nn.Module<Tensor, (Tensor Code, Tensor Mu, Tensor LogVar)>
{
    private readonly Linear fc;

    /// <summary>Creates the module.</summary>
    /// <param name="sentenceSize">D, the sentence feature size (256 in the paper).</param>
    /// <param name="conditionSize">c, the condition code size (100 in the paper).</param>
    public ConditioningAugmentation(int sentenceSize, int conditionSize) : base(TorchRuntime.Loaded(nameof(ConditioningAugmentation)))
    {
        if (sentenceSize < 1) throw new ArgumentOutOfRangeException(nameof(sentenceSize), sentenceSize, "sentenceSize must be positive.");
        if (conditionSize < 1) throw new ArgumentOutOfRangeException(nameof(conditionSize), conditionSize, "conditionSize must be positive.");
        ConditionSize = conditionSize;
        fc = nn.Linear(sentenceSize, 4 * conditionSize);
        RegisterComponents();
    }

    /// <summary>c.</summary>
    public int ConditionSize { get; }

    /// <summary>Maps sentence features B×D to (sampled code, μ, log σ²), each B×c.</summary>
    public override (Tensor Code, Tensor Mu, Tensor LogVar) forward(Tensor sentence)
    {
        using var scope = NewDisposeScope();
        var (mu, logVar) = Distribution(sentence);
        var eps = torch.randn_like(mu);
        var code = mu + torch.exp(logVar * 0.5) * eps;
        return (code.MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope(), logVar.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// μ and log σ² (each B×c) without sampling, so a caller can draw ε from its own generator (per-row seeds at
    /// generation time) and form μ + exp(½ log σ²) ⊙ ε itself.
    /// </summary>
    public (Tensor Mu, Tensor LogVar) Distribution(Tensor sentence)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.glu(fc.call(sentence), 1);
        var mu = h.narrow(1, 0, ConditionSize);
        var logVar = h.narrow(1, ConditionSize, ConditionSize);
        return (mu.MoveToOuterDisposeScope(), logVar.MoveToOuterDisposeScope());
    }

    /// <summary>KL(N(μ, σ²) ‖ N(0, I)) averaged over all B×c elements (the original's mean, weight 1 in G's loss).</summary>
    public static Tensor KlLoss(Tensor mu, Tensor logVar)
    {
        using var scope = NewDisposeScope();
        var kl = (1 + logVar - mu.pow(2) - logVar.exp()).mean() * -0.5;
        return kl.MoveToOuterDisposeScope();
    }
}
