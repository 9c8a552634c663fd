using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>What one generator pass produces.</summary>
/// <param name="Images">One B×3×S×S image per stage, in [−1, 1], smallest first.</param>
/// <param name="Attention">One word-attention map B×L×S×S per refinement stage.</param>
/// <param name="InitAttention">The first stage's 16-px word-attention map B×L×16×16 (<see cref="GlamNetworkOptions.InitStageAttention"/>; else null).</param>
public sealed record GlamOutput(IReadOnlyList<Tensor> Images, IReadOnlyList<Tensor> Attention, Tensor? InitAttention = null);

/// <summary>
/// The GLAM generator cascade without its conditioning augmentation (which belongs to STEM's output side):
/// init stage from [c_code ‖ z], then refinement stages with word attention (over the word features) and
/// sentence attention (over c_code), each with an RGB head (docs/paper-fidelity.md).
/// </summary>
public sealed class GlamGenerator : nn.Module<Tensor, Tensor, Tensor, Tensor?, GlamOutput>
{
    private readonly InitStage h_net1;
    private readonly ModuleList<NextStage> next_stages;
    private readonly ModuleList<Sequential> img_nets;

    /// <summary>Creates the cascade with AttnGAN's initialisation.</summary>
    public GlamGenerator(GlamNetworkOptions options) : base(TorchRuntime.Loaded(nameof(GlamGenerator)))
    {
        options.Validate();
        Options = options;
        int ngf = options.GeneratorDim;
        h_net1 = new InitStage(ngf, options.ConditionDim, options.ZDim, options.InitStageAttention ? options.TextDim : 0, options.ReproduceAttnGanMaskBug);
        next_stages = nn.ModuleList(Enumerable.Range(1, options.Stages - 1)
            .Select(_ => new NextStage(ngf, options.TextDim, options.ConditionDim, options.ResidualBlocks, options.ReproduceAttnGanMaskBug)).ToArray());
        img_nets = nn.ModuleList(Enumerable.Range(0, options.Stages).Select(_ => GlamBlocks.ImageHead(ngf)).ToArray());
        RegisterComponents();
        GlamInit.Apply(this);
    }

    /// <summary>The sizes this generator was built with.</summary>
    public GlamNetworkOptions Options { get; }

    /// <param name="z">B×ZDim noise.</param>
    /// <param name="cCode">B×ConditionDim conditioning (CA sample).</param>
    /// <param name="words">B×TextDim×L word features.</param>
    /// <param name="padMask">B×L, true at padding words (null: no padding).</param>
    public override GlamOutput forward(Tensor z, Tensor cCode, Tensor words, Tensor? padMask)
    {
        var images = new List<Tensor>();
        var maps = new List<Tensor>();
        var (h, initMap) = h_net1.call(cCode, z, words, padMask);
        images.Add(img_nets[0].call(h));
        for (int i = 0; i < next_stages.Count; i++)
        {
            var (next, map) = next_stages[i].call(h, cCode, words, padMask);
            h = next;
            images.Add(img_nets[i + 1].call(h));
            maps.Add(map);
        }
        return new GlamOutput(images, maps, initMap);
    }
}
