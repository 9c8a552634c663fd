using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.OnnxRuntime;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Caption → image with ONNX Runtime only (no TorchSharp): tokenises in C#, runs the exported text encoder and the
/// CA + generator graph. Thread-safe: one session per graph, shared. Noise comes from
/// <see cref="Glam.GenerationNoise"/>, as in the TorchSharp transformer, so the same caption and seed give the same
/// image here and from the <c>model.zip</c> it was exported from.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once (<c>Transform</c> over per-thread data views,
/// per-thread <c>PredictionEngine</c>s, direct calls); ONNX Runtime's <c>InferenceSession.Run</c> is thread-safe and the instance
/// holds no per-call state (tested with 8 threads). Dispose it only after every scoring thread has finished.</remarks>
public sealed class MirrorGanOnnxTextToImage : IDisposable
{
    private readonly OnnxModelSession _text;
    private readonly OnnxModelSession _generator;
    private readonly string[] _imageOutputOnly;

    private MirrorGanOnnxTextToImage(MirrorGanOnnxManifest manifest, OnnxModelSession text, OnnxModelSession generator)
    {
        Manifest = manifest;
        _text = text;
        _generator = generator;
        Vocabulary = manifest.TextEncoder!.Vocabulary.ToVocabulary();
        ImageOutput = Image(manifest.Generator!.FinalSize);
        _imageOutputOnly = new[] { ImageOutput };
    }

    /// <summary>Opens the text encoder and generator of an export folder.</summary>
    /// <param name="folder">A folder written by <c>ExportToOnnx</c>.</param>
    /// <param name="options">Session options (CPU by default).</param>
    /// <param name="warn">Receives warnings (e.g. the CPU fallback).</param>
    public static MirrorGanOnnxTextToImage Open(string folder, OnnxSessionOptions? options = null, Action<string>? warn = null)
    {
        var manifest = MirrorGanOnnxManifest.Load(folder);
        if (manifest.TextEncoder is null || manifest.Generator is null)
            throw new InvalidDataException(
                $"'{folder}' holds no {(manifest.TextEncoder is null ? "text encoder" : "generator")}; caption → image needs both. Export a model that has TextEmbed and the MirrorGAN generator.");
        if (manifest.Generator.TextDim != manifest.TextEncoder.FeatureSize)
            throw new InvalidDataException($"'{folder}': the generator reads {manifest.Generator.TextDim}-d text features but the text encoder makes {manifest.TextEncoder.FeatureSize}-d ones.");
        options ??= new OnnxSessionOptions();
        // The text encoder is a small BiLSTM whose steps are sequential: extra intra-op threads only add hand-offs
        // (measured: README "ONNX", 2-thread rows), so it always gets one; the generator gets what was asked for.
        var textOptions = new OnnxSessionOptions
        {
            GpuDeviceId = options.GpuDeviceId, FallbackToCpu = options.FallbackToCpu, IntraOpThreads = 1, AllowSpinning = options.AllowSpinning,
        };
        var text = OnnxModelSession.Open(folder, manifest.TextEncoder.File, new[] { TokenIds, Lengths }, new[] { WordFeatures, PadMask, SentenceFeature }, textOptions, warn,
            manifest.TextEncoder.Inputs.Concat(manifest.TextEncoder.Outputs), manifest.Sha256?.GetValueOrDefault(manifest.TextEncoder.File));
        try
        {
            var gen = OnnxModelSession.Open(folder, manifest.Generator.File, new[] { Z, CaNoise, WordFeatures, PadMask, SentenceFeature },
                new[] { Image(manifest.Generator.FinalSize) }, options, warn, manifest.Generator.Inputs.Concat(manifest.Generator.Outputs),
                manifest.Sha256?.GetValueOrDefault(manifest.Generator.File));
            return new MirrorGanOnnxTextToImage(manifest, text, gen);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>The manifest read.</summary>
    public MirrorGanOnnxManifest Manifest { get; }

    /// <summary>The text encoder's vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Side of the generated images.</summary>
    public int ImageSize => Manifest.Generator!.FinalSize;

    /// <summary>The execution provider the generator runs on ("CPU" or "CUDA").</summary>
    public string Provider => _generator.Provider;

    private string ImageOutput { get; }

    /// <summary>Word ids of a caption: at most MaxWords, the first ones kept (as TextEmbed does at inference); empty when no word is known.</summary>
    public int[] Tokenize(string? caption) => Vocabulary.Fit(Vocabulary.Encode(caption), Manifest.TextEncoder!.MaxWords).Ids;

    /// <summary>Generates one final-stage image (3×S×S floats in [−1, 1], CHW) per caption.</summary>
    /// <param name="captions">The captions; each needs at least one known word.</param>
    /// <param name="seed">Noise seed of every row; with the caption it fixes the image.</param>
    public float[][] Generate(IReadOnlyList<string> captions, int seed = 0)
    {
        if (captions is null) throw new ArgumentNullException(nameof(captions));
        var ids = new int[captions.Count][];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Tokenize(captions[i]);
            if (ids[i].Length == 0)
                throw new ArgumentException($"Caption {i} (\"{captions[i]}\") has no word in the vocabulary; give it at least one known word.", nameof(captions));
        }
        return Generate(ids, Enumerable.Repeat(seed, ids.Length).ToArray());
    }

    /// <summary>Generates from word ids; row i's noise is <see cref="Glam.GenerationNoise"/> of <paramref name="seeds"/>[i].</summary>
    public float[][] Generate(IReadOnlyList<int[]> ids, IReadOnlyList<int> seeds)
    {
        if (seeds.Count != ids.Count) throw new ArgumentException($"{seeds.Count} seeds for {ids.Count} captions; give one seed per caption.", nameof(seeds));
        if (ids.Count == 0) return Array.Empty<float[]>();
        int b = ids.Count, t = ids.Max(x => x.Length);
        var tokens = new long[b * t];
        var lengths = new int[b];
        for (int i = 0; i < b; i++)
        {
            if (ids[i].Length == 0) throw new ArgumentException($"Caption {i} has no words; packed sequences need at least one.", nameof(ids));
            for (int j = 0; j < ids[i].Length; j++) tokens[i * t + j] = ids[i][j];
            lengths[i] = ids[i].Length;
        }
        var g = Manifest.Generator!;
        var (z, eps) = Glam.GenerationNoise.ForRows(seeds, g.ZDim, g.ConditionDim);
        using var text = _text.Run(new[] { OnnxTensors.Input(TokenIds, tokens, b, t), OnnxTensors.Input(Lengths, lengths, b) });
        var inputs = new List<NamedOnnxValue>
        {
            OnnxTensors.Input(Z, z, b, g.ZDim),
            OnnxTensors.Input(CaNoise, eps, b, g.ConditionDim),
            NamedOnnxValue.CreateFromTensor(WordFeatures, OnnxTensors.Find(text, WordFeatures).AsTensor<float>()),
            NamedOnnxValue.CreateFromTensor(PadMask, OnnxTensors.Find(text, PadMask).AsTensor<bool>()),
            NamedOnnxValue.CreateFromTensor(SentenceFeature, OnnxTensors.Find(text, SentenceFeature).AsTensor<float>()),
        };
        // Only the last stage's image: the earlier stages' image heads (and attention maps) are then never computed.
        using var images = _generator.Run(inputs, _imageOutputOnly);
        var all = OnnxTensors.Floats(images, ImageOutput);
        int plane = 3 * ImageSize * ImageSize;
        return Enumerable.Range(0, b).Select(i => all.AsSpan(i * plane, plane).ToArray()).ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _text.Dispose();
        _generator.Dispose();
    }
}
