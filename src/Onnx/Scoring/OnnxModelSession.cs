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
    /// <remarks>With <paramref name="expected"/> (the manifest's description of the graph's tensors) element types and ranks are
    /// checked too, so a graph with the right names but other types fails here, not with a type error at the first request.</remarks>
    public static OnnxModelSession Open(string folder, string file, IEnumerable<string> inputs, IEnumerable<string> outputs, OnnxSessionOptions options, Action<string>? warn,
        IEnumerable<OnnxTensorManifest>? expected = null, string? sha256 = null)
    {
        string path = System.IO.Path.Combine(folder, file);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"ONNX graph '{path}' (named by {MirrorGanOnnxNames.ManifestFile}) does not exist. Copy the whole export folder, or export the model again with ExportToOnnx.", path);
        var bytes = File.ReadAllBytes(path);
        if (sha256 is not null)
        {
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"ONNX graph '{path}' does not match the SHA-256 in {MirrorGanOnnxNames.ManifestFile} (expected {sha256}, file has {actual}): " +
                    "the file was damaged or replaced after export. Copy the export folder again, or export the model again.");
        }
        var (session, provider) = Create(path, bytes, options, warn);
        var missing = inputs.Where(n => !session.InputMetadata.ContainsKey(n))
            .Concat(outputs.Where(n => !session.OutputMetadata.ContainsKey(n))).ToList();
        if (missing.Count > 0)
        {
            session.Dispose();
            throw new InvalidDataException(
                $"ONNX graph '{path}' lacks {string.Join(", ", missing.Select(m => $"'{m}'"))} (it has inputs {string.Join(", ", session.InputMetadata.Keys)}; " +
                $"outputs {string.Join(", ", session.OutputMetadata.Keys)}). The file does not belong to this manifest; export the model again.");
        }
        var wrong = expected is null ? new List<string>() : Mismatches(session, expected);
        if (wrong.Count > 0)
        {
            session.Dispose();
            throw new InvalidDataException(
                $"ONNX graph '{path}' has {string.Join("; ", wrong)}. The file does not belong to this manifest; export the model again.");
        }
        return new OnnxModelSession(session, path, provider);
    }

    private static List<string> Mismatches(InferenceSession session, IEnumerable<OnnxTensorManifest> expected)
    {
        var wrong = new List<string>();
        foreach (var t in expected)
        {
            if (!session.InputMetadata.TryGetValue(t.Name, out var m) && !session.OutputMetadata.TryGetValue(t.Name, out m)) continue;
            string type = m.IsTensor ? m.ElementDataType.ToString().ToLowerInvariant() : m.OnnxValueType.ToString();
            if (type != t.ElementType || m.Dimensions.Length != t.Shape.Count)
                wrong.Add($"'{t.Name}' as {type} with {m.Dimensions.Length} dimensions where the manifest says {t.ElementType} with {t.Shape.Count}");
        }
        return wrong;
    }

    private static (InferenceSession Session, string Provider) Create(string path, byte[] bytes, OnnxSessionOptions options, Action<string>? warn)
    {
        if (options.GpuDeviceId is int device)
        {
            try
            {
                // The GPU package lists CUDA even on machines without it, so only creating a session tells.
                using var cuda = SessionOptions.MakeSessionOptionWithCudaProvider(device);
                Configure(cuda, options);
                return (new InferenceSession(bytes, cuda), "CUDA");
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
        return (Load(path, bytes, cpu), "CPU");
    }

    private static void Configure(SessionOptions so, OnnxSessionOptions options) => options.ApplyTo(so);

    private static InferenceSession Load(string path, byte[] bytes, SessionOptions so)
    {
        try
        {
            return new InferenceSession(bytes, so);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"'{path}' is not a loadable ONNX graph ({e.Message}). The file is damaged or not an export of this library; export the model again.", e);
        }
    }

    public void Dispose() => _session.Dispose();
}
