using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

/// <summary>A tiny TextEmbed and captioner fitted once on 64-px Shapes, shared by the trainer tests.</summary>
public sealed class GlamFixture
{
    public GlamFixture()
    {
        Ml = new MLContext(seed: 1);
        Train = Ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 24, Seed = 4, CaptionsPerImage = 1 });
        var stem = new TextEmbedOptions
        {
            EmbeddingSize = 16, HiddenSize = 8, MaxWords = 12, BatchSize = 8, Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 8 }, ImageSize = 32, Epochs = 1, Seed = 1, Device = "cpu",
        };
        TextEmbed = Ml.Transforms.TextEmbed(stem).Fit(Train);
        var cap = StreamCaptionerOptions.Tiny();
        cap.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        cap.ImageSize = 32;
        cap.EmbedSize = 16;
        cap.HiddenSize = 32;
        cap.Epochs = 1;
        cap.BatchSize = 8;
        Captioner = Ml.Transforms.StreamCaptioner(cap, TextEmbed.Vocabulary).Fit(Train);
    }

    public MLContext Ml { get; }
    public IDataView Train { get; }
    public TextEmbedTransformer TextEmbed { get; }
    public StreamCaptionerTransformer Captioner { get; }

    /// <summary>The trainer with this fixture's fitted TextEmbed and captioner.</summary>
    public MirrorGanTrainer Trainer(MirrorGanTrainerOptions options) => Ml.Transforms.MirrorGan(options, TextEmbed, Captioner);

    /// <summary>One 64-px stage, a few channels: a step takes milliseconds.</summary>
    public MirrorGanTrainerOptions Options(int iterations) => new()
    {
        Network = new GlamNetworkOptions { Stages = 1, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8, NormalizeSentence = true },
        BatchSize = 4,
        Iterations = iterations,
        GeneratorLearningRate = 6e-4,
        DiscriminatorLearningRate = 6e-4,
        KlWeight = 0.02,
        ReportEvery = 1,
        Device = "cpu",
        Seed = 3,
    };
}

internal static class FittedChains
{
    /// <summary>The generator of a chain the trainer returned.</summary>
    public static MirrorGanTransformer Generator(this TransformerChain<ITransformer> chain) => chain.OfType<MirrorGanTransformer>().Single();
}

/// <summary>Collects reports synchronously (<see cref="Progress{T}"/> posts them to the thread pool).</summary>
internal sealed class ListProgress<T> : IProgress<T>
{
    private readonly Action<T>? _also;

    public ListProgress(Action<T>? also = null) => _also = also;

    public List<T> Items { get; } = new();

    public void Report(T value)
    {
        Items.Add(value);
        _also?.Invoke(value);
    }
}

/// <summary>
/// The trainer tests compare losses bit for bit across runs, and torch's RNG is process-global: other test classes
/// seeding or drawing from it in parallel would change the draws. This collection runs alone.
/// </summary>
[CollectionDefinition("Glam trainer", DisableParallelization = true)]
public sealed class GlamTrainerCollection
{
}
