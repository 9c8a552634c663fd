using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.Graph.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Onnx.Graph;

/// <summary>
/// Emits ONNX nodes equivalent to TorchSharp layers, reading their weights. Each mapping was checked against
/// TorchSharp's own output (see the Onnx tests): Linear → Gemm(transB); nearest ×2 → Resize(asymmetric, floor);
/// BatchNorm (eval) → BatchNormalization; GLU → Split + Sigmoid + Mul.
/// </summary>
internal static class TorchOnnxOps
{
    /// <summary>
    /// A tensor's values as floats: the one way exporters read weights, so it also tells an open
    /// <see cref="ExportCoverage"/> recording which registered tensors reached the graph.
    /// </summary>
    public static float[] Values(Tensor t)
    {
        ExportCoverage.Read(t);
        return t.detach().cpu().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
    }

    public static string Linear(OnnxGraphBuilder g, Linear layer, string x)
    {
        var inputs = new List<string> { x, g.Initializer("linear_w", Values(layer.weight!), layer.weight!.shape) };
        if (layer.bias is not null) inputs.Add(g.Initializer("linear_b", Values(layer.bias), layer.bias.shape));
        return g.Node("Gemm", inputs, Attr("transB", 1L));
    }

    public static string Conv(OnnxGraphBuilder g, Conv2d layer, string x, long stride, long padding)
    {
        var w = layer.weight!;
        var inputs = new List<string> { x, g.Initializer("conv_w", Values(w), w.shape) };
        if (layer.bias is not null) inputs.Add(g.Initializer("conv_b", Values(layer.bias), layer.bias.shape));
        return g.Node("Conv", inputs,
            Attr("kernel_shape", w.shape[2], w.shape[3]),
            Attr("strides", stride, stride),
            Attr("pads", padding, padding, padding, padding));
    }

    public static string BatchNorm(OnnxGraphBuilder g, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, double eps, string x)
    {
        long c = runningMean.shape[0];
        string scale = g.Initializer("bn_scale", weight is null ? Enumerable.Repeat(1f, (int)c).ToArray() : Values(weight), c);
        string shift = g.Initializer("bn_bias", bias is null ? new float[c] : Values(bias), c);
        string mean = g.Initializer("bn_mean", Values(runningMean), c);
        string variance = g.Initializer("bn_var", Values(runningVar), c);
        return g.Node("BatchNormalization", new[] { x, scale, shift, mean, variance }, Attr("epsilon", (float)eps));
    }

    /// <summary>
    /// A bias-free or biased convolution followed by inference-mode BatchNorm, written as ONE Conv whose weight and bias
    /// absorb the normalisation: w′ = w·γ/√(σ²+ε) per output channel, b′ = (b − μ)·γ/√(σ²+ε) + β, computed in double and
    /// rounded once. ONNX Runtime fuses Conv+BatchNormalization itself at load time; folding here makes the file smaller,
    /// the graph simpler for other runtimes, and lets the following Relu fuse into the Conv.
    /// </summary>
    /// <param name="g">The graph.</param>
    /// <param name="weight">Conv weight (out, in, kH, kW).</param>
    /// <param name="bias">Conv bias or null.</param>
    /// <param name="norm">The BatchNorm's γ (null: ones), β (null: zeros), running mean and variance, ε.</param>
    /// <param name="stride">Stride (both axes).</param>
    /// <param name="pads">Padding (top, left, bottom, right), ONNX's order.</param>
    /// <param name="x">The input value.</param>
    public static string ConvBatchNorm(OnnxGraphBuilder g, Tensor weight, Tensor? bias, BatchNormTensors norm, long stride, long[] pads, string x)
    {
        var (w, b) = FoldBatchNorm(weight, bias, norm);
        return g.Node("Conv", new[] { x, g.Initializer("conv_bn_w", w, weight.shape), g.Initializer("conv_bn_b", b, weight.shape[0]) },
            Attr("kernel_shape", weight.shape[2], weight.shape[3]),
            Attr("strides", stride, stride),
            Attr("pads", pads));
    }

    /// <summary>Folds inference-mode BatchNorm into the preceding convolution: w′ = w·γ/√(σ²+ε), b′ = (b − μ)·γ/√(σ²+ε) + β, in double.</summary>
    public static (float[] Weight, float[] Bias) FoldBatchNorm(Tensor weight, Tensor? bias, BatchNormTensors norm)
    {
        long outChannels = weight.shape[0];
        if (norm.RunningMean.shape[0] != outChannels)
            throw new ArgumentException($"BatchNorm over {norm.RunningMean.shape[0]} channels cannot follow a convolution with {outChannels} outputs.");
        float[] w = Values(weight), mean = Values(norm.RunningMean), variance = Values(norm.RunningVar);
        float[]? gamma = norm.Weight is null ? null : Values(norm.Weight), beta = norm.Bias is null ? null : Values(norm.Bias), b0 = bias is null ? null : Values(bias);
        int per = (int)(w.Length / outChannels);
        var folded = new float[w.Length];
        var foldedBias = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            double scale = (gamma?[o] ?? 1.0) / Math.Sqrt(variance[o] + norm.Eps);
            for (int k = 0; k < per; k++) folded[o * per + k] = (float)(w[o * per + k] * scale);
            foldedBias[o] = (float)(((b0?[o] ?? 0.0) - mean[o]) * scale + (beta?[o] ?? 0.0));
        }
        return (folded, foldedBias);
    }

    /// <summary>
    /// <c>GLU(BatchNorm(Conv(x)))</c> over channels as two convolutions with the normalisation folded in:
    /// a ⊙ σ(b), where a and b are the first and second halves of the output channels. Same values as
    /// Conv → BatchNormalization → Split → Sigmoid → Mul, without the Split: ONNX Runtime keeps both convolutions (and
    /// the Sigmoid, fused into the second) in its blocked NCHWc layout instead of reordering to NCHW around a Split.
    /// </summary>
    public static string ConvBatchNormGlu(OnnxGraphBuilder g, Conv2d conv, BatchNorm2d bn, string x, long stride, long padding)
    {
        var weight = conv.weight!;
        var (w, b) = FoldBatchNorm(weight, conv.bias, BatchNormTensors.Of(bn));
        long outChannels = weight.shape[0], half = outChannels / 2;
        if (outChannels % 2 != 0) throw new ArgumentException($"GLU needs an even channel count; the convolution makes {outChannels}.");
        int per = (int)(w.Length / outChannels);
        string Half(int k) => g.Node("Conv", new[]
            {
                x,
                g.Initializer("conv_glu_w", w.AsSpan(k * (int)half * per, (int)half * per), half, weight.shape[1], weight.shape[2], weight.shape[3]),
                g.Initializer("conv_glu_b", b.AsSpan(k * (int)half, (int)half), half),
            },
            Attr("kernel_shape", weight.shape[2], weight.shape[3]),
            Attr("strides", stride, stride),
            Attr("pads", padding, padding, padding, padding));
        return g.Node("Mul", new[] { Half(0), g.Node("Sigmoid", new[] { Half(1) }) });
    }

    /// <summary>
    /// The up-block form exports use; <c>MIRRORGAN_ONNX_UPSAMPLE</c> (resize | subpixel2x2 | subpixel3x3) overrides it so
    /// benchmarks can compare the forms on the same build.
    /// </summary>
    internal static UpsampleExport DefaultUpsampleMode { get; } =
        Enum.TryParse<UpsampleExport>(Environment.GetEnvironmentVariable("MIRRORGAN_ONNX_UPSAMPLE"), true, out var m) ? m : UpsampleExport.SubPixel2x2;

    /// <summary>
    /// <c>GLU(BatchNorm(Conv3×3(Upsample2x(x))))</c>, AttnGAN's up-block. A 3×3 convolution (padding 1) of a nearest ×2
    /// image only ever sees each input pixel 1 or 2 times per axis, so each of the four output phases (even/odd row,
    /// even/odd column) is a 2×2 convolution of the small input whose taps are sums of the 3×3 taps: a=0 uses input rows
    /// i−1, i with taps k0, k1+k2; a=1 uses rows i, i+1 with taps k0+k1, k2. Written that way the block does 16 instead of
    /// 36 multiply-adds per input channel and output pixel, skips the Resize, and DepthToSpace (DCR) interleaves the
    /// phases. Zero padding agrees: the padded row −1 of the large image is row −1 of the small one.
    /// </summary>
    public static string UpsampleConvBatchNormGlu(OnnxGraphBuilder g, Conv2d conv, BatchNorm2d bn, string x, UpsampleExport mode)
    {
        var weight = conv.weight!;
        if (mode == UpsampleExport.Resize || weight.shape[2] != 3 || weight.shape[3] != 3)
            return ConvBatchNormGlu(g, conv, bn, UpsampleNearest2x(g, x), 1, 1);
        var (w, b) = FoldBatchNorm(weight, conv.bias, BatchNormTensors.Of(bn));
        int outChannels = (int)weight.shape[0], half = outChannels / 2, inChannels = (int)weight.shape[1];
        if (outChannels % 2 != 0) throw new ArgumentException($"GLU needs an even channel count; the convolution makes {outChannels}.");
        // taps[a][r][k]: how much 3×3 row (or column) k contributes to 2×2 row r in phase a.
        int[][][] taps = { new[] { new[] { 1, 0, 0 }, new[] { 0, 1, 1 } }, new[] { new[] { 1, 1, 0 }, new[] { 0, 0, 1 } } };
        float[] Phase(int a, int c, int first, int count, int kernel)
        {
            // kernel 2: the 2×2 phase kernel; kernel 3: the same taps placed in a 3×3 window (row/column 0 is i−1).
            var result = new float[count * inChannels * kernel * kernel];
            for (int o = 0; o < count; o++)
                for (int i = 0; i < inChannels; i++)
                    for (int r = 0; r < 2; r++)
                        for (int q = 0; q < 2; q++)
                        {
                            double sum = 0;
                            for (int kr = 0; kr < 3; kr++)
                                for (int kc = 0; kc < 3; kc++)
                                    sum += taps[a][r][kr] * taps[c][q][kc] * w[(((first + o) * inChannels + i) * 3 + kr) * 3 + kc];
                            int row = kernel == 3 ? r + a : r, col = kernel == 3 ? q + c : q;
                            result[((o * inChannels + i) * kernel + row) * kernel + col] = (float)sum;
                        }
            return result;
        }
        string Part(int k, string name)
        {
            if (mode == UpsampleExport.SubPixel3x3)
            {
                // One 3×3 convolution (padding 1) with the four phases as 4·half output channels, phase-major.
                var all = new List<float>();
                var bias = new List<float>();
                for (int a = 0; a < 2; a++)
                    for (int c = 0; c < 2; c++)
                    {
                        all.AddRange(Phase(a, c, k * half, half, 3));
                        bias.AddRange(b.AsSpan(k * half, half).ToArray());
                    }
                return g.Node("Conv", new[] { x, g.Initializer(name + "_w", all.ToArray(), 4L * half, inChannels, 3, 3), g.Initializer(name + "_b", bias.ToArray(), 4L * half) },
                    Attr("kernel_shape", 3L, 3L), Attr("strides", 1L, 1L), Attr("pads", 1L, 1L, 1L, 1L));
            }
            var phases = new List<string>();
            for (int a = 0; a < 2; a++)
                for (int c = 0; c < 2; c++)
                    phases.Add(g.Node("Conv", new[] { x, g.Initializer(name + "_w", Phase(a, c, k * half, half, 2), half, inChannels, 2, 2), g.Initializer(name + "_b", b.AsSpan(k * half, half), half) },
                        Attr("kernel_shape", 2L, 2L), Attr("strides", 1L, 1L), Attr("pads", 1L - a, 1L - c, a, c)));
            return Concat(g, 1, phases.ToArray());
        }
        string glu = g.Node("Mul", new[] { Part(0, "up_glu_a"), g.Node("Sigmoid", new[] { Part(1, "up_glu_b") }) });
        return g.Node("DepthToSpace", new[] { glu }, Attr("blocksize", 2L), Attr("mode", "DCR"));
    }

    /// <summary>A <c>Conv2d</c> layer followed by a <c>BatchNorm2d</c> layer, folded (see <see cref="FoldBatchNorm"/>); symmetric padding.</summary>
    public static string ConvBatchNorm(OnnxGraphBuilder g, Conv2d conv, BatchNorm2d bn, string x, long stride, long padding) =>
        ConvBatchNorm(g, conv.weight!, conv.bias, BatchNormTensors.Of(bn), stride, new[] { padding, padding, padding, padding }, x);

    public static string BatchNorm(OnnxGraphBuilder g, BatchNorm2d bn, string x) =>
        BatchNorm(g, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps, x);

    /// <summary>BatchNorm1d over B×C: ONNX BatchNormalization wants N×C×..., which B×C already is.</summary>
    public static string BatchNorm(OnnxGraphBuilder g, BatchNorm1d bn, string x) =>
        BatchNorm(g, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps, x);

    public static string UpsampleNearest2x(OnnxGraphBuilder g, string x)
    {
        string scales = g.Initializer("scales", new[] { 1f, 1f, 2f, 2f }, 4);
        return g.Node("Resize", new[] { x, "", scales },
            Attr("mode", "nearest"), Attr("coordinate_transformation_mode", "asymmetric"), Attr("nearest_mode", "floor"));
    }

    public static string Glu(OnnxGraphBuilder g, string x, long axis = 1)
    {
        var halves = g.Node("Split", new[] { x }, 2, Attr("axis", axis));
        return g.Node("Mul", new[] { halves[0], g.Node("Sigmoid", new[] { halves[1] }) });
    }

    public static string LeakyRelu(OnnxGraphBuilder g, string x, float slope) => g.Node("LeakyRelu", new[] { x }, Attr("alpha", slope));

    public static string Unary(OnnxGraphBuilder g, string op, string x) => g.Node(op, new[] { x });

    public static string Reshape(OnnxGraphBuilder g, string x, params long[] shape) =>
        g.Node("Reshape", new[] { x, g.Int64Initializer("shape", shape, shape.Length) });

    /// <summary>Embedding lookup: <c>Gather(weight, ids)</c> gives ids.shape × E, like <c>nn.Embedding</c>.</summary>
    public static string Embedding(OnnxGraphBuilder g, Embedding layer, string ids)
    {
        var w = layer.weight!;
        return g.Node("Gather", new[] { g.Initializer("embedding_w", Values(w), w.shape), ids }, Attr("axis", 0L));
    }

    /// <summary>
    /// A one-layer PyTorch LSTM over time-major input T×B×I. ONNX's gate order is i,o,f,c where PyTorch's is i,f,g,o
    /// (PyTorch chunks 0,3,1,2), and ONNX wants both biases side by side per direction. ONNX Runtime's CPU LSTM
    /// rejects <c>layout=1</c>, so callers transpose batch-first data themselves.
    /// </summary>
    /// <returns>Y (T×dirs×B×H), Y_h and Y_c (dirs×B×H each).</returns>
    public static (string Y, string Yh, string Yc) Lstm(OnnxGraphBuilder g, LSTM lstm, long inputSize, long hiddenSize, bool bidirectional,
        string x, string sequenceLengths = "", string initialH = "", string initialC = "")
    {
        var p = lstm.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        string[] suffixes = bidirectional ? new[] { "l0", "l0_reverse" } : new[] { "l0" };
        int h = (int)hiddenSize, i = (int)inputSize;
        var w = new List<float>();
        var r = new List<float>();
        var b = new List<float>();
        int[] order = { 0, 3, 1, 2 };
        foreach (var s in suffixes)
        {
            string Name(string n) => p.ContainsKey($"{n}_{s}") ? $"{n}_{s}"
                : throw new InvalidOperationException($"LSTM export: parameter '{n}_{s}' not found; only one-layer LSTMs with biases are supported.");
            float[] wih = Values(p[Name("weight_ih")]), whh = Values(p[Name("weight_hh")]), bih = Values(p[Name("bias_ih")]), bhh = Values(p[Name("bias_hh")]);
            foreach (int k in order) w.AddRange(wih.AsSpan(k * h * i, h * i).ToArray());
            foreach (int k in order) r.AddRange(whh.AsSpan(k * h * h, h * h).ToArray());
            foreach (int k in order) b.AddRange(bih.AsSpan(k * h, h).ToArray());
            foreach (int k in order) b.AddRange(bhh.AsSpan(k * h, h).ToArray());
        }
        int dirs = suffixes.Length;
        var inputs = new List<string>
        {
            x,
            g.Initializer("lstm_W", w.ToArray(), dirs, 4 * h, i),
            g.Initializer("lstm_R", r.ToArray(), dirs, 4 * h, h),
            g.Initializer("lstm_B", b.ToArray(), dirs, 8 * h),
            sequenceLengths, initialH, initialC,
        };
        while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);   // trailing optional inputs may be left out
        var outs = g.Node("LSTM", inputs, 3, Attr("hidden_size", hiddenSize), Attr("direction", bidirectional ? "bidirectional" : "forward"));
        return (outs[0], outs[1], outs[2]);
    }

    public static string Transpose(OnnxGraphBuilder g, string x, params long[] perm) => g.Node("Transpose", new[] { x }, Attr("perm", perm));

    public static string Unsqueeze(OnnxGraphBuilder g, string x, params long[] axes) =>
        g.Node("Unsqueeze", new[] { x, g.Int64Initializer("axes", axes, axes.Length) });

    public static string Squeeze(OnnxGraphBuilder g, string x, params long[] axes) =>
        g.Node("Squeeze", new[] { x, g.Int64Initializer("axes", axes, axes.Length) });

    public static string Concat(OnnxGraphBuilder g, long axis, params string[] xs) => g.Node("Concat", xs, Attr("axis", axis));

    public static string Binary(OnnxGraphBuilder g, string op, string a, string b) => g.Node(op, new[] { a, b });

    /// <summary>x[start:end] along <paramref name="axis"/> (static bounds).</summary>
    public static string Slice(OnnxGraphBuilder g, string x, long axis, long start, long end) =>
        g.Node("Slice", new[] { x, g.Int64Initializer("starts", new[] { start }, 1), g.Int64Initializer("ends", new[] { end }, 1), g.Int64Initializer("slice_axes", new[] { axis }, 1) });

    /// <summary>Dimensions [start, end) of x's shape as a 1-D int64 tensor.</summary>
    public static string ShapeOf(OnnxGraphBuilder g, string x, long start, long end) => g.Node("Shape", new[] { x }, Attr("start", start), Attr("end", end));

    /// <summary>
    /// <c>adaptive_avg_pool2d(x, grid)</c> on a map of known side: PyTorch's bins are [⌊i·S/G⌋, ⌈(i+1)·S/G⌉), so
    /// rows then columns are averaged bin by bin (exact for any S and G, divisible or not).
    /// </summary>
    public static string AdaptiveAvgPool2d(OnnxGraphBuilder g, string x, long height, long width, long grid)
    {
        string Pool(string input, long axis, long size)
        {
            var parts = new string[grid];
            for (long k = 0; k < grid; k++)
            {
                long start = k * size / grid, end = ((k + 1) * size + grid - 1) / grid;
                parts[k] = g.Node("ReduceMean", new[] { Slice(g, input, axis, start, end) }, Attr("axes", new[] { axis }), Attr("keepdims", 1L));
            }
            return grid == 1 ? parts[0] : Concat(g, axis, parts);
        }
        return Pool(Pool(x, 2, height), 3, width);
    }

    /// <summary>
    /// <c>interpolate(x, size, bilinear, align_corners: false)</c> without antialiasing: ONNX Resize linear with
    /// pytorch_half_pixel coordinates and explicit sizes (batch and channels taken from x).
    /// </summary>
    public static string ResizeBilinear(OnnxGraphBuilder g, string x, long height, long width)
    {
        string sizes = Concat(g, 0, ShapeOf(g, x, 0, 2), g.Int64Initializer("hw", new[] { height, width }, 2));
        return g.Node("Resize", new[] { x, "", "", sizes },
            Attr("mode", "linear"), Attr("coordinate_transformation_mode", "pytorch_half_pixel"));
    }
}

/// <summary>The tensors of an inference-mode BatchNorm (γ and β may be absent: affine off).</summary>
internal readonly record struct BatchNormTensors(Tensor? Weight, Tensor? Bias, Tensor RunningMean, Tensor RunningVar, double Eps)
{
    public static BatchNormTensors Of(BatchNorm2d bn) => new(bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps);

    public static BatchNormTensors Of(Microsoft.ML.MirrorGan.Backbones.FrozenBatchNorm2d bn) => new(bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar, bn.Eps);
}

/// <summary>How the generator's up-blocks are written to ONNX (same values; speed differs by runtime and shape).</summary>
internal enum UpsampleExport
{
    /// <summary>Resize (nearest ×2) then the 3×3 convolutions.</summary>
    Resize,

    /// <summary>Four 2×2 phase convolutions per GLU half on the small input, concatenated, then DepthToSpace.</summary>
    SubPixel2x2,

    /// <summary>One 3×3 convolution per GLU half with the four phases as output channels, then DepthToSpace.</summary>
    SubPixel3x3,
}
