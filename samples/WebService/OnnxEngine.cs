using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// Serves an ONNX export folder with ONNX Runtime alone (no TorchSharp code runs). One InferenceSession per graph is
/// shared by every request: ONNX Runtime's <c>Run</c> is thread-safe.
/// </summary>
internal sealed class OnnxEngine : IMirrorGanEngine
{
    private readonly MirrorGanOnnxTextToImage _generator;
    private readonly MirrorGanOnnxCaptioner? _captioner;
    private readonly SemaphoreSlim? _gate;

    public OnnxEngine(string folder, WebServiceOptions options, Action<string> warn)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"ONNX export folder '{folder}' does not exist; export one with mlContext.Model.ExportMirrorGanToOnnx(\"model.zip\", folder).");
        var session = new OnnxSessionOptions { IntraOpThreads = options.Threads };
        _generator = MirrorGanOnnxTextToImage.Open(folder, session, warn);
        try
        {
            var manifest = MirrorGanOnnxManifest.Load(folder);
            _captioner = manifest.Captioner is null ? null : MirrorGanOnnxCaptioner.Open(folder, session, warn);
        }
        catch
        {
            _generator.Dispose();
            throw;
        }
        if (options.MaxConcurrentInferences > 0) _gate = new SemaphoreSlim(options.MaxConcurrentInferences, options.MaxConcurrentInferences);
        Source = Path.GetFullPath(folder);
    }

    public string Backend => "ONNX Runtime";

    public string Source { get; }

    public int ImageSize => _generator.ImageSize;

    public int MaxWords => _generator.Manifest.TextEncoder!.MaxWords;

    /// <summary>The exported generator graph returns images only, so the ONNX back end has no attention maps.</summary>
    public bool HasAttention => false;

    public bool HasCaptioner => _captioner is not null;

    public CaptionSlots Words(string caption) => _generator.Vocabulary.Slots(caption, MaxWords);

    public async Task<IReadOnlyList<GeneratedImage>> GenerateAsync(string caption, IReadOnlyList<int> seeds, bool attention, CancellationToken cancellation)
    {
        if (_gate is not null) await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var ids = _generator.Tokenize(caption);
            var result = new List<GeneratedImage>(seeds.Count);
            foreach (int seed in seeds)
            {
                cancellation.ThrowIfCancellationRequested();
                // One row per call keeps each request's memory small; the noise is a function of the seed alone.
                var pixels = _generator.Generate(new[] { ids }, new[] { seed })[0];
                result.Add(new GeneratedImage(seed, pixels, Describe(pixels, ImageSize), null, 0));
            }
            return result;
        }
        finally
        {
            _gate?.Release();
        }
    }

    public async Task<string> CaptionAsync(MLImage image, CancellationToken cancellation)
    {
        var captioner = _captioner ?? throw new InvalidOperationException("The export holds no captioner.");
        if (_gate is not null) await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var pixels = ImageTensor.ToChw(image, captioner.ImageSize);
            return captioner.Vocabulary.Decode(captioner.Caption(pixels, 1)[0].Ids);
        }
        finally
        {
            _gate?.Release();
        }
    }

    private string? Describe(float[] chw, int size)
    {
        if (_captioner is null) return null;
        float[] input = chw;
        if (size != _captioner.ImageSize)
        {
            using var image = ImageTensor.FromChw(chw, size);
            input = ImageTensor.ToChw(image, _captioner.ImageSize);
        }
        return _captioner.Vocabulary.Decode(_captioner.Caption(input, 1)[0].Ids);
    }

    public void Dispose()
    {
        _generator.Dispose();
        _captioner?.Dispose();
        _gate?.Dispose();
    }
}
