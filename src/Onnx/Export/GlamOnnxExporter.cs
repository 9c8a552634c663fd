using Google.Protobuf;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx.Graph;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp.Modules;
using static Microsoft.ML.MirrorGan.Onnx.Graph.OnnxGraphBuilder;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using DataType = Microsoft.ML.MirrorGan.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// Exports conditioning augmentation + the GLAM generator cascade as one ONNX graph, so the same inputs give the
/// same images as TorchSharp: the CA sample is μ + exp(½ log σ²) ⊙ <c>ca_noise</c>, and <c>z</c> is the
/// generator noise; both are inputs, so callers own the randomness.
/// Inputs: <c>z</c> [batch, ZDim], <c>ca_noise</c> [batch, ConditionDim], <c>word_features</c> [batch, D, words],
/// <c>pad_mask</c> bool [batch, words] (true at padding), <c>sentence_feature</c> [batch, D].
/// Outputs: <c>image_64</c>, <c>image_128</c>, <c>image_256</c> (as many as stages) [batch, 3, S, S] in [−1, 1], and
/// with attention maps <c>attention_128</c>/<c>attention_256</c> [batch, words, S/2, S/2].
/// </summary>
public static class GlamOnnxExporter
{
    /// <summary>
    /// What the graph leaves out of a generator (<c>MirrorGanGeneratorNet</c>: CA, the cascade and the sentence
    /// statistics) on purpose; the coverage tests check that every other registered tensor is read.
    /// </summary>
    internal static IReadOnlyList<ExportExemption> Unexported { get; } =
        ExportExemption.BatchNormStepCounters;   // the init stage's BatchNorm1d and every up/residual BatchNorm2d

    /// <summary>Serialises CA + generator (evaluation mode: BatchNorm running statistics) as ONNX bytes.</summary>
    /// <param name="ca">The conditioning augmentation the generator was trained with.</param>
    /// <param name="generator">The generator cascade.</param>
    /// <param name="attentionMaps">Also output each refinement stage's word-attention map.</param>
    /// <param name="normalizeSentence">
    /// Layer-normalise the sentence feature before CA (no affine, eps 1e-5), as <c>MirrorGanGeneratorNet</c> does
    /// when its <c>NormalizeSentence</c> is on (the tiny preset). The graph input stays the raw sentence feature.
    /// </param>
    /// <param name="sentenceStandardization">
    /// Per-dimension mean and inverse std applied to the sentence feature before the layer norm, as
    /// <c>MirrorGanGeneratorNet.StandardizeSentence</c> does (null: none).
    /// </param>
    public static byte[] Export(ConditioningAugmentation ca, GlamGenerator generator, bool attentionMaps = false, bool normalizeSentence = false,
        (float[] Mean, float[] InverseStd)? sentenceStandardization = null) =>
        Export(ca, generator, attentionMaps, normalizeSentence, sentenceStandardization, TorchOnnxOps.DefaultUpsampleMode);

    /// <summary><see cref="Export(ConditioningAugmentation, GlamGenerator, bool, bool, ValueTuple{float[], float[]}?)"/> with a chosen up-block form (tests, benchmarks).</summary>
    internal static byte[] Export(ConditioningAugmentation ca, GlamGenerator generator, bool attentionMaps, bool normalizeSentence,
        (float[] Mean, float[] InverseStd)? sentenceStandardization, UpsampleExport upsample)
    {
        if (ca is null) throw new ArgumentNullException(nameof(ca));
        if (generator is null) throw new ArgumentNullException(nameof(generator));
        var o = generator.Options;
        var caIndex = new ModuleIndex(ca, nameof(ConditioningAugmentation));
        var caFc = caIndex.Get<Linear>("fc");
        if (ca.ConditionSize != o.ConditionDim || caFc.weight!.shape[1] != o.TextDim)
            throw new ArgumentException(
                $"The conditioning augmentation maps {caFc.weight!.shape[1]} → {ca.ConditionSize} but the generator expects " +
                $"TextDim {o.TextDim} and ConditionDim {o.ConditionDim}; export the CA the generator was trained with.", nameof(ca));
        var gen = new ModuleIndex(generator, nameof(GlamGenerator));
        var g = new OnnxGraphBuilder("mirrorgan_generator");
        long c = o.ConditionDim;

        string z = g.Input(Z, DataType.Float, BatchDim, o.ZDim);
        string eps = g.Input(CaNoise, DataType.Float, BatchDim, o.ConditionDim);
        string words = g.Input(WordFeatures, DataType.Float, BatchDim, o.TextDim, WordsDim);
        string mask = g.Input(PadMask, DataType.Bool, BatchDim, WordsDim);
        string sentence = g.Input(SentenceFeature, DataType.Float, BatchDim, o.TextDim);

        string caInput = sentence;
        if (sentenceStandardization is { } st)
        {
            if (st.Mean.Length != o.TextDim || st.InverseStd.Length != o.TextDim)
                throw new ArgumentException($"The sentence standardisation has {st.Mean.Length}/{st.InverseStd.Length} values; the generator's TextDim is {o.TextDim}.", nameof(sentenceStandardization));
            string mean = g.Initializer("sentence_mean", st.Mean, o.TextDim);
            string inverseStd = g.Initializer("sentence_inv_std", st.InverseStd, o.TextDim);
            caInput = TorchOnnxOps.Binary(g, "Mul", TorchOnnxOps.Binary(g, "Sub", caInput, mean), inverseStd);
        }
        if (normalizeSentence)
        {
            // ONNX LayerNormalization (opset 17) needs a scale; ones and zeros reproduce F.layer_norm without affine.
            string scale = g.Initializer("ln_scale", Enumerable.Repeat(1f, o.TextDim).ToArray(), o.TextDim);
            string shift = g.Initializer("ln_bias", new float[o.TextDim], o.TextDim);
            caInput = g.Node("LayerNormalization", new[] { caInput, scale, shift },
                OnnxGraphBuilder.Attr("axis", -1L), OnnxGraphBuilder.Attr("epsilon", 1e-5f));
        }

        // CA: GLU(Linear(s)) = [μ ‖ log σ²]; code = μ + exp(½ log σ²) ⊙ ε.
        string muLogVar = TorchOnnxOps.Glu(g, TorchOnnxOps.Linear(g, caFc, caInput));
        string mu = TorchOnnxOps.Slice(g, muLogVar, 1, 0, c);
        string logVar = TorchOnnxOps.Slice(g, muLogVar, 1, c, 2 * c);
        string std = TorchOnnxOps.Unary(g, "Exp", TorchOnnxOps.Binary(g, "Mul", logVar, g.Scalar("half", 0.5f)));
        string code = TorchOnnxOps.Binary(g, "Add", mu, TorchOnnxOps.Binary(g, "Mul", std, eps));

        // Init stage: [c_code ‖ z] → Linear → BN1d → GLU → 16·ngf×4×4 → four up-blocks.
        long channels = 16L * o.GeneratorDim;
        string h = TorchOnnxOps.Linear(g, gen.Get<Linear>("h_net1.fc.linear"), TorchOnnxOps.Concat(g, 1, code, z));
        h = TorchOnnxOps.Glu(g, TorchOnnxOps.BatchNorm(g, gen.Get<BatchNorm1d>("h_net1.fc.bn"), h));
        h = TorchOnnxOps.Reshape(g, h, -1, channels, 4, 4);
        for (int i = 1; i <= 4; i++)
        {
            h = UpBlock(g, gen, $"h_net1.upsample.up{i}", h, upsample);
            if (i == 2 && o.InitStageAttention)
            {
                // GlamNetworkOptions.InitStageAttention: word + sentence attention and a residual block at 16 px (4·ngf channels).
                const string p = "h_net1.attention";
                var (wordContext, _) = WordAttention(g, gen.Get<Conv2d>($"{p}.att.conv_context"), h, words, mask, 4L * o.GeneratorDim, 16, o.ReproduceAttnGanMaskBug);
                string sentenceContext = SentenceAttention(g, gen, p, h, code);
                h = TorchOnnxOps.Conv(g, gen.Get<Conv2d>($"{p}.fuse"), TorchOnnxOps.Concat(g, 1, h, wordContext, sentenceContext), 1, 0);
                h = ResBlock(g, gen, $"{p}.residual.block", h);
            }
        }

        int size = o.BaseSize;
        var outputs = new List<(string Value, string Name, object[] Shape)>();
        outputs.Add((ImageHead(g, gen, 0, h), Image(size), new object[] { BatchDim, 3, size, size }));
        for (int stage = 1; stage < o.Stages; stage++)
        {
            string p = $"next_stages.{stage - 1}";
            var (wordContext, map) = WordAttention(g, gen.Get<Conv2d>($"{p}.att.conv_context"), h, words, mask, o.GeneratorDim, size, o.ReproduceAttnGanMaskBug);
            string sentenceContext = SentenceAttention(g, gen, p, h, code);
            string x = TorchOnnxOps.Conv(g, gen.Get<Conv2d>($"{p}.fuse"), TorchOnnxOps.Concat(g, 1, h, wordContext, sentenceContext), 1, 0);
            for (int r = 0; r < o.ResidualBlocks; r++) x = ResBlock(g, gen, $"{p}.residual.res{r}.block", x);
            h = UpBlock(g, gen, $"{p}.upsample", x, upsample);
            if (attentionMaps) outputs.Add((map, Attention(size * 2), new object[] { BatchDim, WordsDim, size, size }));
            size *= 2;
            outputs.Add((ImageHead(g, gen, stage, h), Image(size), new object[] { BatchDim, 3, size, size }));
        }
        foreach (var (value, name, shape) in outputs.OrderBy(x => x.Name.StartsWith("attention", StringComparison.Ordinal)))
            g.Output(value, name, DataType.Float, shape);
        return g.Build(OnnxExportInfo.ProducerVersion, OnnxExportInfo.Metadata("generator")).ToByteArray();
    }

    /// <summary>The names of the image outputs, smallest first, for a generator of <paramref name="stages"/> stages.</summary>
    public static IReadOnlyList<string> ImageOutputs(int stages) => Enumerable.Range(0, stages).Select(i => Image(64 << i)).ToArray();

    private static string UpBlock(OnnxGraphBuilder g, ModuleIndex gen, string prefix, string x, UpsampleExport upsample)
    {
        return TorchOnnxOps.UpsampleConvBatchNormGlu(g, gen.Get<Conv2d>($"{prefix}.conv"), gen.Get<BatchNorm2d>($"{prefix}.bn"), x, upsample);
    }

    private static string ImageHead(OnnxGraphBuilder g, ModuleIndex gen, int stage, string h) =>
        TorchOnnxOps.Unary(g, "Tanh", TorchOnnxOps.Conv(g, gen.Get<Conv2d>($"img_nets.{stage}.conv"), h, 1, 1));

    private static string ResBlock(OnnxGraphBuilder g, ModuleIndex gen, string prefix, string x)
    {
        string y = TorchOnnxOps.ConvBatchNormGlu(g, gen.Get<Conv2d>($"{prefix}.conv1"), gen.Get<BatchNorm2d>($"{prefix}.bn1"), x, 1, 1);
        y = TorchOnnxOps.ConvBatchNorm(g, gen.Get<Conv2d>($"{prefix}.conv2"), gen.Get<BatchNorm2d>($"{prefix}.bn2"), y, 1, 1);
        return TorchOnnxOps.Binary(g, "Add", y, x);
    }

    /// <summary>AttnGAN's word attention: scores B×Q×L, padding masked to −∞, softmax over words.</summary>
    private static (string Context, string Map) WordAttention(OnnxGraphBuilder g, Conv2d convContext, string h, string words, string mask,
        long channels, long side, bool reproduceMaskBug)
    {
        long q = side * side;
        var w = convContext.weight!;                                                      // C×D×1×1, a matrix on words
        string wc = g.Initializer("conv_context_w", TorchOnnxOps.Values(w), w.shape[0], w.shape[1]);
        string source = g.Node("MatMul", new[] { wc, words });                            // B×C×L
        string target = TorchOnnxOps.Transpose(g, TorchOnnxOps.Reshape(g, h, 0, 0, -1), 0, 2, 1);   // B×Q×C
        string logits = g.Node("MatMul", new[] { target, source });                       // B×Q×L
        string m;
        if (reproduceMaskBug)
        {
            // AttnGAN issue #93: mask.repeat(Q, 1).view(B, Q, L), row b·Q + q takes caption (b·Q + q) mod B.
            string tiled = g.Node("Tile", new[] { mask, g.Int64Initializer("repeats", new[] { q, 1L }, 2) });
            string shape = TorchOnnxOps.Concat(g, 0, g.Int64Initializer("bq", new[] { -1L, q }, 2), TorchOnnxOps.ShapeOf(g, mask, 1, 2));
            m = g.Node("Reshape", new[] { tiled, shape });
        }
        else
        {
            m = TorchOnnxOps.Unsqueeze(g, mask, 1);                                       // B×1×L, broadcast over pixels
        }
        logits = g.Node("Where", new[] { m, g.Scalar("minus_inf", float.NegativeInfinity), logits });
        string attn = g.Node("Softmax", new[] { logits }, Attr("axis", 2L));
        string attnT = TorchOnnxOps.Transpose(g, attn, 0, 2, 1);                          // B×L×Q
        string context = TorchOnnxOps.Reshape(g, g.Node("MatMul", new[] { source, attnT }), 0, channels, side, side);
        string map = TorchOnnxOps.Reshape(g, attnT, 0, -1, side, side);
        return (context, map);
    }

    /// <summary>MirrorGAN's sentence attention as implemented: softmax over channels of conv1x1(h ⊙ s′), times s′.</summary>
    private static string SentenceAttention(OnnxGraphBuilder g, ModuleIndex gen, string prefix, string h, string code)
    {
        string s = TorchOnnxOps.Unsqueeze(g, TorchOnnxOps.Linear(g, gen.Get<Linear>($"{prefix}.sent_att.linear"), code), 2, 3);
        string gate = TorchOnnxOps.Conv(g, gen.Get<Conv2d>($"{prefix}.sent_att.conv_sentence_vis"), TorchOnnxOps.Binary(g, "Mul", h, s), 1, 0);
        // Softmax over channels, spelled out: ONNX Runtime's Softmax on a non-last axis transposes the whole map to
        // channels-last and back; max/sum reductions over axis 1 read it in place. Same formula as PyTorch's (shift by the max).
        string shifted = g.Node("Exp", new[] { g.Node("Sub", new[] { gate, g.Node("ReduceMax", new[] { gate }, Attr("axes", new[] { 1L }), Attr("keepdims", 1L)) }) });
        string sum = g.Node("ReduceSum", new[] { shifted, g.Int64Initializer("channel_axis", new[] { 1L }, 1) }, Attr("keepdims", 1L));
        return TorchOnnxOps.Binary(g, "Mul", s, g.Node("Div", new[] { shifted, sum }));
    }
}
