using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// One ONNX Runtime session over one exported graph, shared by every thread that scores through it
/// (<see cref="InferenceSession.Run(IReadOnlyCollection{NamedOnnxValue})"/> is thread-safe). Knows which execution
/// provider it got, and turns missing, corrupt or mismatched files into errors that name the file and the fix.
/// </summary>
internal sealed class OnnxModelSession : IDisposable
{
    private readonly InferenceSession _session;

    private OnnxModelSession(InferenceSession session, string path, string provider)
    {
        _session = session;
        Path = path;
        Provider = provider;
    }

    public string Path { get; }

    /// <summary>"CUDA" or "CPU".</summary>
    public string Provider { get; }

    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs) => _session.Run(inputs);

    /// <summary>Computes only <paramref name="outputs"/> (ONNX Runtime then skips nodes that feed nothing else).</summary>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs, IReadOnlyCollection<string> outputs) =>
        _session.Run(inputs, outputs);

    /// <summary>Opens <paramref name="file"/> in <paramref name="folder"/> and checks it has the inputs and outputs the manifest lists.</summary>
    public static OnnxModelSession Open(string folder, string file, IEnumerable<string> inputs, IEnumerable<string> outputs, OnnxSessionOptions options, Action<string>? warn)
    {
        string path = System.IO.Path.Combine(folder, file);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"ONNX graph '{path}' (named by {MirrorGanOnnxNames.ManifestFile}) does not exist. Copy the whole export folder, or export the model again with ExportToOnnx.", path);
        var (session, provider) = Create(path, options, warn);
        var missing = inputs.Where(n => !session.InputMetadata.ContainsKey(n))
            .Concat(outputs.Where(n => !session.OutputMetadata.ContainsKey(n))).ToList();
        if (missing.Count > 0)
        {
            session.Dispose();
            throw new InvalidDataException(
                $"ONNX graph '{path}' lacks {string.Join(", ", missing.Select(m => $"'{m}'"))} (it has inputs {string.Join(", ", session.InputMetadata.Keys)}; " +
                $"outputs {string.Join(", ", session.OutputMetadata.Keys)}). The file does not belong to this manifest; export the model again.");
        }
        return new OnnxModelSession(session, path, provider);
    }

    private static (InferenceSession Session, string Provider) Create(string path, OnnxSessionOptions options, Action<string>? warn)
    {
        if (options.GpuDeviceId is int device)
        {
            try
            {
                // The GPU package lists CUDA even on machines without it, so only creating a session tells.
                using var cuda = SessionOptions.MakeSessionOptionWithCudaProvider(device);
                Configure(cuda, options);
                return (new InferenceSession(path, cuda), "CUDA");
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException)
            {
                if (!options.FallbackToCpu)
                    throw new InvalidOperationException(
                        $"GpuDeviceId = {device} was requested for '{path}' but CUDA could not be used ({e.Message}). Reference " +
                        "Microsoft.ML.OnnxRuntime.Gpu (-p:OnnxRuntimeBackend=gpu) with the CUDA 13 libraries installed, set GpuDeviceId = null for the CPU, " +
                        "or set FallbackToCpu = true.", e);
                warn?.Invoke($"CUDA device {device} could not be used for '{System.IO.Path.GetFileName(path)}' ({e.Message}); running on the CPU (FallbackToCpu).");
            }
        }
        using var cpu = new SessionOptions();
        Configure(cpu, options);
        return (Load(path, cpu), "CPU");
    }

    private static void Configure(SessionOptions so, OnnxSessionOptions options) => options.ApplyTo(so);

    private static InferenceSession Load(string path, SessionOptions so)
    {
        try
        {
            return new InferenceSession(path, so);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"'{path}' is not a loadable ONNX graph ({e.Message}). The file is damaged or not an export of this library; export the model again.", e);
        }
    }

    public void Dispose() => _session.Dispose();
}
