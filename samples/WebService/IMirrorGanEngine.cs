using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Text;

namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>A loaded model that draws captions and describes images; thread-safe.</summary>
public interface IMirrorGanEngine : IDisposable
{
    /// <summary>"ML.NET (TorchSharp)" or "ONNX Runtime".</summary>
    string Backend { get; }

    /// <summary>Where the model was loaded from.</summary>
    string Source { get; }

    /// <summary>Side of the generated images.</summary>
    int ImageSize { get; }

    /// <summary>Words a caption keeps (the first ones).</summary>
    int MaxWords { get; }

    /// <summary>Whether word-attention maps can be returned (a model with at least one refinement stage, TorchSharp back end).</summary>
    bool HasAttention { get; }

    /// <summary>Whether the model holds a captioner (re-captions and the caption endpoint).</summary>
    bool HasCaptioner { get; }

    /// <summary>The words the model will read from a caption (after tokenizing, unknown words marked, truncated).</summary>
    CaptionSlots Words(string caption);

    /// <summary>Generates one image per seed (final stage), with its re-caption and, when asked, attention maps.</summary>
    Task<IReadOnlyList<GeneratedImage>> GenerateAsync(string caption, IReadOnlyList<int> seeds, bool attention, CancellationToken cancellation);

    /// <summary>Captions a decoded image.</summary>
    Task<string> CaptionAsync(MLImage image, CancellationToken cancellation);
}

/// <summary>One generated image.</summary>
/// <param name="Seed">Its seed.</param>
/// <param name="Pixels">CHW floats in [−1, 1].</param>
/// <param name="Recaption">The captioner's description of it (null without a captioner).</param>
/// <param name="Attention">Per word, the final refinement stage's attention map (side × side, word-major); null when not asked for.</param>
/// <param name="AttentionSide">Side of each attention map.</param>
public sealed record GeneratedImage(int Seed, float[] Pixels, string? Recaption, float[][]? Attention, int AttentionSide);
