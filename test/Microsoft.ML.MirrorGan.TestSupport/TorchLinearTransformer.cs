using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan;
using Microsoft.ML.MirrorGan.TestSupport;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(TorchLinearTransformer), typeof(MirrorGanModelLoader<TorchLinearTransformer>), null,
    typeof(SignatureLoadModel), "Torch Linear (test)", TorchLinearTransformer.LoaderSignature)]

namespace Microsoft.ML.MirrorGan.TestSupport;

/// <summary>
/// A real TorchSharp network behind the persistence base: Linear → BatchNorm1d (eval) → tanh over a float
/// vector column. BatchNorm's running statistics are set to non-default values so a save that forgot the
/// buffers would change the output.
/// </summary>
public sealed class TorchLinearTransformer : MirrorGanTransformerBase, IMirrorGanPersistable<TorchLinearTransformer>
{
    internal const string LoaderSignature = "MirrorGanTestTorchLinear";

    private static readonly MirrorGanModelFormat FormatInfo = new("MGTSTLIN", 0x00010001, 0x00010001, LoaderSignature, typeof(TorchLinearTransformer));

    private readonly string _input, _output;
    private readonly int _inSize, _outSize;
    private readonly nn.Module<Tensor, Tensor> _net;

    /// <summary>Creates the transformer with seeded random weights.</summary>
    public TorchLinearTransformer(IHostEnvironment env, string outputColumn, string inputColumn, int inSize, int outSize, int seed)
        : this(env, outputColumn, inputColumn, inSize, outSize)
    {
        torch.manual_seed(seed);
        using var scope = NewDisposeScope();
        var bn = (nn.Module)_net.named_children().First(c => c.name == "bn").module;
        foreach (var (name, buffer) in bn.named_buffers())
        {
            if (name == "running_mean") buffer.copy_(torch.randn(outSize) * 0.1f);
            if (name == "running_var") buffer.copy_(torch.rand(outSize) + 0.5f);
        }
        foreach (var p in _net.parameters())
            using (torch.no_grad()) p.copy_(torch.randn(p.shape) * 0.3f);
    }

    private TorchLinearTransformer(IHostEnvironment env, string outputColumn, string inputColumn, int inSize, int outSize)
        : base(env, nameof(TorchLinearTransformer))
    {
        TorchRuntime.EnsureLoaded();
        _input = inputColumn;
        _output = outputColumn;
        _inSize = inSize;
        _outSize = outSize;
        _net = nn.Sequential(("fc", nn.Linear(inSize, outSize)), ("bn", nn.BatchNorm1d(outSize)), ("act", nn.Tanh()));
        _net.eval();
    }

    static MirrorGanModelFormat IMirrorGanPersistable<TorchLinearTransformer>.Format => FormatInfo;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <inheritdoc/>
    protected override int BatchSize => 4;

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns => new[] { InputColumnSpec.FloatVector(_input, _inSize) };

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns =>
        new[] { new OutputColumnSpec(_output, new VectorDataViewType(NumberDataViewType.Single, _outSize)) };

    /// <summary>How many times the network ran (to check batching).</summary>
    public int ForwardCalls { get; private set; }

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        using var scope = NewDisposeScope();
        var rows = inputs.Column<float[]>(0);
        var flat = new float[rows.Length * _inSize];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * _inSize);
        using var noGrad = torch.no_grad();
        var y = _net.call(torch.tensor(flat, new long[] { rows.Length, _inSize }));
        var values = y.data<float>().ToArray();
        for (int i = 0; i < rows.Length; i++) outputs.Set(0, i, values.AsSpan(i * _outSize, _outSize).ToArray());
        ForwardCalls++;
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer)
    {
        writer.WriteString(_output);
        writer.WriteString(_input);
        writer.Writer.Write(_inSize);
        writer.Writer.Write(_outSize);
        writer.WriteModule("Net.bin", _net);
    }

    /// <summary>Loads what <see cref="SaveModel"/> wrote.</summary>
    public static TorchLinearTransformer Load(IHostEnvironment env, ModelReader reader)
    {
        string output = reader.ReadString(), input = reader.ReadString();
        int inSize = reader.Reader.ReadInt32(), outSize = reader.Reader.ReadInt32();
        var t = new TorchLinearTransformer(env, output, input, inSize, outSize);
        reader.ReadModule("Net.bin", t._net);
        t._net.eval();
        return t;
    }
}
