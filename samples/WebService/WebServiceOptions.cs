namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>Settings of the service (configuration section "MirrorGan"; command-line switches in <see cref="MirrorGanWebApp"/>).</summary>
public sealed class WebServiceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "MirrorGan";

    /// <summary>An ML.NET model.zip holding TextEmbed → MirrorGan → StreamCaptioner (the QuickStart's output).</summary>
    public string? Model { get; set; }

    /// <summary>An ONNX export folder (mirrorgan.onnx.json + graphs); used instead of <see cref="Model"/> when set: no TorchSharp runs.</summary>
    public string? Onnx { get; set; }

    /// <summary>Longest caption accepted, in characters.</summary>
    public int MaxCaptionLength { get; set; } = 200;

    /// <summary>Most images one generate request may ask for.</summary>
    public int MaxCount { get; set; } = 8;

    /// <summary>Largest JSON body of a generate request, in bytes.</summary>
    public int MaxJsonBytes { get; set; } = 16 * 1024;

    /// <summary>Largest image upload (raw body or the multipart request), in bytes.</summary>
    public int MaxUploadBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Largest width or height of an uploaded image, checked from its header before any pixel is decoded.</summary>
    public int MaxImageSide { get; set; } = 2048;

    /// <summary>
    /// Model runs allowed at the same time. TorchSharp: 1 by default, because each run holds a no-GC region
    /// (TorchGcGuard) and overlapping runs would let the region's budget run out; ONNX Runtime sessions are thread-safe.
    /// </summary>
    public int MaxConcurrentInferences { get; set; }

    /// <summary>Uploads decoded at the same time; each holds up to MaxImageSide² × 4 bytes of pixels while it decodes.</summary>
    public int MaxConcurrentDecodes { get; set; } = 2;

    /// <summary>Intra-op threads of TorchSharp / ONNX Runtime (1: best on small shared machines).</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Checks the limits, naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model) && string.IsNullOrWhiteSpace(Onnx))
            throw new InvalidOperationException("No model: pass --model <model.zip> (made by `dotnet run --project samples/QuickStart -c Release`) or --onnx <export folder>.");
        if (MaxCaptionLength < 1) throw new InvalidOperationException($"MirrorGan:MaxCaptionLength is {MaxCaptionLength}; it must be at least 1.");
        if (MaxCount < 1) throw new InvalidOperationException($"MirrorGan:MaxCount is {MaxCount}; it must be at least 1.");
        if (MaxJsonBytes < 256) throw new InvalidOperationException($"MirrorGan:MaxJsonBytes is {MaxJsonBytes}; it must be at least 256.");
        if (MaxUploadBytes < 1024) throw new InvalidOperationException($"MirrorGan:MaxUploadBytes is {MaxUploadBytes}; it must be at least 1024.");
        if (MaxImageSide < 16) throw new InvalidOperationException($"MirrorGan:MaxImageSide is {MaxImageSide}; it must be at least 16.");
        if (MaxConcurrentDecodes < 1) throw new InvalidOperationException($"MirrorGan:MaxConcurrentDecodes is {MaxConcurrentDecodes}; it must be at least 1.");
        if (Threads < 1) throw new InvalidOperationException($"MirrorGan:Threads is {Threads}; it must be at least 1.");
        if (MaxConcurrentInferences < 0) throw new InvalidOperationException($"MirrorGan:MaxConcurrentInferences is {MaxConcurrentInferences}; use 0 (default) or more.");
    }
}
