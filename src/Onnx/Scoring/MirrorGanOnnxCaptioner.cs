using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Text;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Image → caption with ONNX Runtime only: the exported STREAM encoder, then the one-step decoder graph driven by the
/// same greedy / beam search as <see cref="CaptionDecoder"/> (no length normalisation; width 1 is greedy). Thread-safe.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once (<c>Transform</c> over per-thread data views,
/// per-thread <c>PredictionEngine</c>s, direct calls); ONNX Runtime's <c>InferenceSession.Run</c> is thread-safe and the instance
/// holds no per-call state (tested with 8 threads). Dispose it only after every scoring thread has finished.</remarks>
public sealed class MirrorGanOnnxCaptioner : IDisposable
{
    private readonly OnnxModelSession _encoder;
    private readonly OnnxModelSession _decoder;

    private MirrorGanOnnxCaptioner(MirrorGanOnnxManifest manifest, OnnxModelSession encoder, OnnxModelSession decoder)
    {
        Manifest = manifest;
        _encoder = encoder;
        _decoder = decoder;
        Vocabulary = manifest.Captioner!.Vocabulary.ToVocabulary();
    }

    /// <summary>Opens the captioner graphs of an export folder.</summary>
    public static MirrorGanOnnxCaptioner Open(string folder, OnnxSessionOptions? options = null, Action<string>? warn = null)
    {
        var manifest = MirrorGanOnnxManifest.Load(folder);
        var c = manifest.Captioner ?? throw new InvalidDataException($"'{folder}' holds no captioner; export a model that has the StreamCaptioner.");
        options ??= new OnnxSessionOptions();
        var encoder = OnnxModelSession.Open(folder, c.EncoderFile, new[] { CaptionImage }, new[] { ImageFeature }, options, warn, c.EncoderInputs.Concat(c.EncoderOutputs),
            manifest.Sha256?.GetValueOrDefault(c.EncoderFile));
        try
        {
            var decoder = OnnxModelSession.Open(folder, c.DecoderFile, new[] { Token, ImageFeature, StateH, StateC }, new[] { LogProbs, StateHOut, StateCOut }, options, warn, c.DecoderInputs.Concat(c.DecoderOutputs),
                manifest.Sha256?.GetValueOrDefault(c.DecoderFile));
            return new MirrorGanOnnxCaptioner(manifest, encoder, decoder);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The manifest read.</summary>
    public MirrorGanOnnxManifest Manifest { get; }

    /// <summary>The captioner's vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Side images must have (CHW input).</summary>
    public int ImageSize => Manifest.Captioner!.ImageSize;

    /// <summary>The execution provider ("CPU" or "CUDA").</summary>
    public string Provider => _encoder.Provider;

    /// <summary>Image features (count×E) of <paramref name="count"/> CHW images in [−1, 1] at <see cref="ImageSize"/>.</summary>
    public float[] Encode(float[] images, int count)
    {
        int s = ImageSize;
        if (images.Length != count * 3 * s * s)
            throw new ArgumentException($"Expected {count}×3×{s}×{s} = {count * 3 * s * s} floats, got {images.Length}.", nameof(images));
        using var r = _encoder.Run(new[] { OnnxTensors.Input(CaptionImage, images, count, 3, s, s) });
        return OnnxTensors.Floats(r, ImageFeature);
    }

    /// <summary>Captions <paramref name="count"/> CHW images (greedy when the width is 1).</summary>
    public GeneratedCaption[] Caption(float[] images, int count, int? beamWidth = null, int? maxWords = null)
    {
        int width = beamWidth ?? Manifest.Captioner!.BeamWidth, max = maxWords ?? Manifest.Captioner!.MaxWords;
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(beamWidth), width, "Beam width must be at least 1.");
        if (max < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), max, "maxWords must be at least 1.");
        if (count == 0) return Array.Empty<GeneratedCaption>();
        var features = Encode(images, count);
        var search = new OnnxCaptionSearch(Step, Manifest.Captioner!.EmbedSize, Manifest.Captioner.HiddenSize, Vocabulary.Count);
        if (width == 1) return search.Greedy(features, count, max);
        int e = Manifest.Captioner.EmbedSize;
        return Enumerable.Range(0, count).Select(i => search.Beam(features.AsSpan(i * e, e).ToArray(), width, max)).ToArray();
    }

    private (float[] LogProbs, float[] H, float[] C) Step(long[] tokens, float[] features, float[] h, float[] c)
    {
        int b = tokens.Length, hidden = Manifest.Captioner!.HiddenSize;
        using var r = _decoder.Run(new[]
        {
            OnnxTensors.Input(Token, tokens, b),
            OnnxTensors.Input(ImageFeature, features, b, Manifest.Captioner.EmbedSize),
            OnnxTensors.Input(StateH, h, 1, b, hidden),
            OnnxTensors.Input(StateC, c, 1, b, hidden),
        });
        return (OnnxTensors.Floats(r, LogProbs), OnnxTensors.Floats(r, StateHOut), OnnxTensors.Floats(r, StateCOut));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }
}
