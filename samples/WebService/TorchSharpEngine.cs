using Microsoft.Extensions.ObjectPool;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// Serves an ML.NET model.zip (TextEmbed → MirrorGan → StreamCaptioner) with pooled <see cref="PredictionEngine{TSrc, TDst}"/>s:
/// an engine keeps per-instance buffers and is not thread-safe, so each request borrows one from the pool.
/// </summary>
internal sealed class TorchSharpEngine : IMirrorGanEngine
{
    private const string PixelsColumn = "GeneratedPixels";
    private const string AttentionPrefix = "Attention";

    private readonly MLContext _ml = new(seed: 1);
    private readonly TextEmbedTransformer _text;
    private readonly StreamCaptionerTransformer? _captioner;
    private readonly ObjectPool<PredictionEngine<Prompt, Output>> _pool;
    private readonly SemaphoreSlim _gate;

    public TorchSharpEngine(string path, WebServiceOptions options)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model '{path}' does not exist; run the main job first (`dotnet run --project samples/QuickStart -c Release` writes ./mirrorgan-output/model.zip).", path);
        torch.set_num_threads(options.Threads);
        // Model.Load finds the MirrorGAN loaders in the assemblies loaded so far: load the Transforms assembly first.
        _ = typeof(MirrorGanTransformer).Assembly;
        var loaded = _ml.Model.Load(path, out _);
        var parts = loaded is IEnumerable<ITransformer> chain ? chain.ToList() : new List<ITransformer> { loaded };
        _text = parts.OfType<TextEmbedTransformer>().FirstOrDefault()
            ?? throw new InvalidDataException($"{path} holds no TextEmbed transformer; save the chain TextEmbed → MirrorGan → StreamCaptioner (MirrorGanTrainer.Chain).");
        var gan = parts.OfType<MirrorGanTransformer>().FirstOrDefault()
            ?? throw new InvalidDataException($"{path} holds no MirrorGan generator; save the chain TextEmbed → MirrorGan → StreamCaptioner (MirrorGanTrainer.Chain).");
        _captioner = parts.OfType<StreamCaptionerTransformer>().LastOrDefault();
        Source = Path.GetFullPath(path);
        ImageSize = gan.ImageSize;
        MaxWords = _text.MaxWords;
        int stages = gan.Generator.Options.Stages;
        HasAttention = stages > 1;
        AttentionSide = HasAttention ? gan.Generator.Options.BaseSize << (stages - 2) : 0;

        // The same modules, with a per-row seed, lossless pixels and the last refinement stage's attention added.
        var serving = gan.With(gan.Columns with { SeedColumnName = "Seed", GeneratedPixelsColumnName = PixelsColumn, AttentionColumnPrefix = HasAttention ? AttentionPrefix : null });
        var servingParts = new List<ITransformer> { _text.WithImageColumn(null), serving };
        if (_captioner is not null) servingParts.Add(_captioner);
        var servingChain = new TransformerChain<ITransformer>(servingParts.ToArray());

        var outputSchema = SchemaDefinition.Create(typeof(Output), SchemaDefinition.Direction.Write);
        outputSchema[nameof(Output.GeneratedCaption)].ColumnName = _captioner?.OutputCaptionColumnName ?? "GeneratedCaption";
        outputSchema[nameof(Output.Attention)].ColumnName = $"{AttentionPrefix}Stage{stages - 1}";
        var inputSchema = SchemaDefinition.Create(typeof(Prompt), SchemaDefinition.Direction.Read);
        inputSchema[nameof(Prompt.Caption)].ColumnName = _text.Columns.CaptionColumnName;

        int concurrency = options.MaxConcurrentInferences > 0 ? options.MaxConcurrentInferences : 1;
        _gate = new SemaphoreSlim(concurrency, concurrency);
        _pool = new DefaultObjectPool<PredictionEngine<Prompt, Output>>(
            new EnginePolicy(() => _ml.Model.CreatePredictionEngine<Prompt, Output>(servingChain, ignoreMissingColumns: true, inputSchema, outputSchema)),
            concurrency);
        // Build one engine now so a model that cannot serve fails at start-up, not on the first request.
        var first = _pool.Get();
        _pool.Return(first);
    }

    public string Backend => "ML.NET (TorchSharp)";

    public string Source { get; }

    public int ImageSize { get; }

    public int MaxWords { get; }

    public bool HasAttention { get; }

    public bool HasCaptioner => _captioner is not null;

    private int AttentionSide { get; }

    public CaptionSlots Words(string caption) => _text.Vocabulary.Slots(caption, MaxWords);

    public async Task<IReadOnlyList<GeneratedImage>> GenerateAsync(string caption, IReadOnlyList<int> seeds, bool attention, CancellationToken cancellation)
    {
        await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var engine = _pool.Get();
            try
            {
                var result = new List<GeneratedImage>(seeds.Count);
                foreach (int seed in seeds)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var prompt = new Prompt { Caption = caption, Seed = seed };
                    Output o;
                    // TorchSharp 0.107's Scalar race: no GC may run during the native calls (README "Known TorchSharp 0.107 hazard").
                    using (TorchGcGuard.Enter()) o = engine.Predict(prompt);
                    float[][]? maps = null;
                    if (attention && HasAttention)
                    {
                        int plane = AttentionSide * AttentionSide;
                        int words = Math.Min(Words(caption).Words.Count, MaxWords);
                        maps = Enumerable.Range(0, words).Select(t => o.Attention.AsSpan(t * plane, plane).ToArray()).ToArray();
                    }
                    result.Add(new GeneratedImage(seed, o.GeneratedPixels.ToArray(), HasCaptioner ? o.GeneratedCaption : null, maps, AttentionSide));
                }
                return result;
            }
            finally
            {
                _pool.Return(engine);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<string> CaptionAsync(MLImage image, CancellationToken cancellation)
    {
        var captioner = _captioner ?? throw new InvalidOperationException("The model holds no captioner.");
        int size = captioner.ImageSize;
        var pixels = ImageTensor.ToChw(image, size);
        await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            using var guard = TorchGcGuard.Enter();
            using var scope = torch.NewDisposeScope();
            var captions = captioner.Generate(torch.tensor(pixels, new long[] { 1, 3, size, size }));
            return captioner.Vocabulary.Decode(captions[0].Ids);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        if (_pool is IDisposable d) d.Dispose();
        _gate.Dispose();
    }

    /// <summary>Input row of the prediction engines.</summary>
    public sealed class Prompt
    {
        public string Caption { get; set; } = "";

        public int Seed { get; set; }
    }

    /// <summary>Output row; columns renamed to the model's through the schema definition.</summary>
    public sealed class Output
    {
        public float[] GeneratedPixels { get; set; } = Array.Empty<float>();

        public string GeneratedCaption { get; set; } = "";

        public float[] Attention { get; set; } = Array.Empty<float>();
    }

    private sealed class EnginePolicy : IPooledObjectPolicy<PredictionEngine<Prompt, Output>>
    {
        private readonly Func<PredictionEngine<Prompt, Output>> _create;

        public EnginePolicy(Func<PredictionEngine<Prompt, Output>> create) => _create = create;

        public PredictionEngine<Prompt, Output> Create() => _create();

        public bool Return(PredictionEngine<Prompt, Output> obj) => true;
    }
}
