using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Onnx.Graph;

/// <summary>
/// Records which tensors an export reads into its graph, so a check can compare them with every parameter and buffer
/// registered on the exported module: a layer added to a network but not to its exporter would otherwise give a graph
/// that silently computes something else. The exporters read every weight through <see cref="TorchOnnxOps.Values"/>,
/// which reports here while a recording is open on the calling thread; outside one nothing is kept.
/// Tensors are matched by the memory they hold (storage, offset, shape, type), not by wrapper: TorchSharp hands out a new
/// wrapper on each read of some weights (<c>Embedding.weight</c>); a detached view of the whole tensor counts, a copy or a slice does not.
/// </summary>
internal sealed class ExportCoverage : IDisposable
{
    [ThreadStatic] private static ExportCoverage? t_current;

    private readonly ExportCoverage? _outer;
    private readonly HashSet<TensorKey> _read = new();

    private ExportCoverage()
    {
        _outer = t_current;
        t_current = this;
    }

    /// <summary>Starts recording the tensors exports read on this thread, until disposed.</summary>
    public static ExportCoverage Record() => new();

    /// <summary>Notes that <paramref name="tensor"/> was read into a graph (no-op without an open recording).</summary>
    public static void Read(Tensor tensor)
    {
        if (t_current is null) return;
        var key = TensorKey.Of(tensor);
        for (var r = t_current; r is not null; r = r._outer) r._read.Add(key);
    }

    /// <summary>
    /// Compares what was read with the parameters and buffers registered on <paramref name="root"/> and its submodules.
    /// </summary>
    /// <param name="root">The exported module.</param>
    /// <param name="exemptions">What the exporter leaves out on purpose (each with its reason).</param>
    public ExportCoverageReport Check(nn.Module root, IEnumerable<ExportExemption> exemptions)
    {
        var exempt = exemptions.ToList();
        var unread = new List<string>();
        var exempted = new List<string>();
        int registered = 0;
        // named_modules() leaves the root out; its own tensors count too.
        foreach (var (prefix, module) in new[] { (name: "", module: root) }.Concat(root.named_modules()))
        {
            var tensors = module.named_parameters(recurse: false).Select(p => (p.name, tensor: (Tensor)p.parameter, kind: "parameter"))
                .Concat(module.named_buffers(recurse: false).Select(b => (b.name, tensor: b.buffer, kind: "buffer")));
            foreach (var (name, tensor, kind) in tensors)
            {
                registered++;
                string full = prefix.Length == 0 ? name : $"{prefix}.{name}";
                if (_read.Contains(TensorKey.Of(tensor))) continue;
                if (exempt.Any(e => e.Matches(module, name))) exempted.Add(full);
                else unread.Add($"{full} ({kind} of {module.GetType().Name})");
            }
        }
        return new ExportCoverageReport(registered, unread, exempted);
    }

    public void Dispose()
    {
        if (!ReferenceEquals(t_current, this)) throw new InvalidOperationException("Export coverage recordings must be closed innermost first.");
        t_current = _outer;
    }

    /// <summary>Where a tensor's values live: two wrappers of the same tensor give the same key.</summary>
    private readonly record struct TensorKey(IntPtr Data, long Offset, ScalarType Type, string Shape)
    {
        public static TensorKey Of(Tensor t) => new(DataPointer(t), t.storage_offset(), t.dtype, string.Join("x", t.shape));

        // storage<T>() of another element type converts into new memory, so T follows the tensor's type; types no
        // network here registers fall back to the wrapper's handle (then only the same wrapper matches).
        private static IntPtr DataPointer(Tensor t) => t.dtype switch
        {
            ScalarType.Float32 => Pointer<float>(t),
            ScalarType.Float64 => Pointer<double>(t),
            ScalarType.Int64 => Pointer<long>(t),
            ScalarType.Int32 => Pointer<int>(t),
            _ => t.Handle,
        };

        private static IntPtr Pointer<T>(Tensor t) where T : unmanaged
        {
            using var storage = t.storage<T>();
            return storage.data_ptr();
        }
    }
}

/// <summary>The result of <see cref="ExportCoverage.Check"/>.</summary>
/// <param name="Registered">How many parameters and buffers the module registers.</param>
/// <param name="Unread">Registered tensors the export neither read nor exempted: name, kind and owning module type.</param>
/// <param name="Exempted">Registered tensors left out under one of the exporter's exemptions.</param>
internal sealed record ExportCoverageReport(int Registered, IReadOnlyList<string> Unread, IReadOnlyList<string> Exempted);

/// <summary>
/// A registered tensor an exporter leaves out of its graph on purpose: the tensor <paramref name="Name"/> registered
/// directly on a module of type <paramref name="Owner"/> (or a subtype), because of <paramref name="Reason"/>.
/// </summary>
internal sealed record ExportExemption(Type Owner, string Name, string Reason)
{
    /// <summary>BatchNorm's <c>num_batches_tracked</c>: it only sets the running-average factor while training.</summary>
    public static IReadOnlyList<ExportExemption> BatchNormStepCounters { get; } = new[]
    {
        On<TorchSharp.Modules.BatchNorm1d>("num_batches_tracked", "training-only step counter; evaluation-mode BatchNorm reads γ, β and the running statistics"),
        On<TorchSharp.Modules.BatchNorm2d>("num_batches_tracked", "training-only step counter; evaluation-mode BatchNorm reads γ, β and the running statistics"),
    };

    public static ExportExemption On<TModule>(string name, string reason) where TModule : nn.Module => new(typeof(TModule), name, reason);

    public bool Matches(nn.Module owner, string name) => Owner.IsInstanceOfType(owner) && name == Name;
}
