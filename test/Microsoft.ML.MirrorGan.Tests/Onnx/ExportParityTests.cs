using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;
using static Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxNames;
using static Microsoft.ML.MirrorGan.Tests.Onnx.OrtTestRun;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>ONNX Runtime versus TorchSharp on random weights (BatchNorm statistics randomised), batch 1 and 8, mixed caption lengths.</summary>
public class ExportParityTests
{
    private const float Tolerance = 1e-4f;

    internal static int[][] Captions(int batch, int vocabulary, int seed)
    {
        var rng = new Random(seed);
        // Mixed lengths, the longest not first, so sorting and unsorting inside the encoder matter.
        return Enumerable.Range(0, batch).Select(i => Enumerable.Range(0, batch == 1 ? 5 : 1 + (i * 3 + 2) % 7).Select(_ => rng.Next(1, vocabulary)).ToArray()).ToArray();
    }

    internal static (long[] Ids, int[] Lengths, int T) Pad(int[][] captions)
    {
        int t = captions.Max(c => c.Length);
        var ids = new long[captions.Length * t];
        for (int i = 0; i < captions.Length; i++)
            for (int j = 0; j < captions[i].Length; j++) ids[i * t + j] = captions[i][j];
        return (ids, captions.Select(c => c.Length).ToArray(), t);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Text_encoder_matches_TorchSharp(int batch)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var encoder = new TextEncoder(vocabularySize: 23, embeddingSize: 12, hiddenSize: 7);
        encoder.eval();
        var captions = Captions(batch, 23, batch);
        var (wantWords, wantSentence) = encoder.call(CaptionBatch.ToTensors(captions).Ids, CaptionBatch.ToTensors(captions).Lengths);

        var (ids, lengths, t) = Pad(captions);
        var got = Run(StemOnnxExporter.Export(encoder), Int64(TokenIds, ids, batch, t), Int32(Lengths, lengths, batch));
        float words = MaxDiff(got[WordFeatures], wantWords), sentence = MaxDiff(got[SentenceFeature], wantSentence);
        var mask = Enumerable.Range(0, batch * t).Select(k => k % t >= lengths[k / t] ? 1f : 0f).ToArray();
        Assert.Equal(mask, got[PadMask].Values);
        Record($"random text_encoder b{batch} word_features", words);
        Record($"random text_encoder b{batch} sentence_feature", sentence);
        Assert.True(words <= Tolerance, $"word features differ by {words}");
        Assert.True(sentence <= Tolerance, $"sentence feature differs by {sentence}");
    }

    internal static GlamNetworkOptions TinyGenerator(int stages = 3, bool maskBug = false, bool initAttention = false) =>
        new() { Stages = stages, GeneratorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 6, TextDim = 10, ReproduceAttnGanMaskBug = maskBug, InitStageAttention = initAttention };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MirrorGanTransformer_in_a_chain_exports_its_generator_with_sentence_normalisation(bool standardize)
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var options = TinyGenerator(maskBug: false);
        var ml = new MLContext(seed: 1);
        var net = new Microsoft.ML.MirrorGan.Glam.MirrorGanGeneratorNet(options with { NormalizeSentence = true, StandardizeSentence = standardize });
        if (standardize)
        {
            // Per-dimension offsets and scales far from 0 and 1, so a missing or misordered Sub/Mul shows.
            var rng = new Random(4);
            var rows = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, options.TextDim)
                .Select(i => (float)(i - 4 + (0.1 + i) * (rng.NextDouble() - 0.5))).ToArray()).ToList();
            net.SetSentenceStatistics(rows);
        }
        RandomiseBatchNorms(net.Cascade, 6);
        net.eval();
        var transformer = new Microsoft.ML.MirrorGan.Glam.MirrorGanTransformer(ml, net, maxWords: 5);
        using var dir = TestPaths.NewTempDir();
        var manifest = new Microsoft.ML.Data.TransformerChain<ITransformer>(transformer).ExportToOnnx(dir.Path);
        Assert.NotNull(manifest.Generator);

        int batch = 3, t = 4;
        var mask = tensor(new[] { false, false, false, false, false, false, true, true, false, false, false, true }).view(batch, t);
        var words = randn(batch, options.TextDim, t).masked_fill(mask.unsqueeze(1), 0);
        var sentence = randn(batch, options.TextDim) * 3 + 1; // far from unit scale, so a missing layer norm shows
        var z = randn(batch, options.ZDim);
        var eps = randn(batch, options.ConditionDim);
        Tensor want;
        using (no_grad()) want = net.Generate(z, eps, sentence, words, mask).Output.Images[^1];

        var got = Run(File.ReadAllBytes(Path.Combine(dir.Path, MirrorGanOnnxNames.GeneratorFile)),
            Float(Z, z), Float(CaNoise, eps), Float(WordFeatures, words), Bool(PadMask, mask), Float(SentenceFeature, sentence));
        int size = 64 << (options.Stages - 1);
        float d = MaxDiff(got[Image(size)], want);
        Record($"MirrorGanTransformer chain export ({(standardize ? "standardised, " : "")}layer-normalised sentence) {Image(size)}", d);
        Assert.True(d <= Tolerance, $"{Image(size)} differs by {d}");
    }

    /// <summary>Random generator inputs for captions of the given lengths (padding masked) and TorchSharp's output on them.</summary>
    private static (Tensor Z, Tensor Eps, Tensor Words, Tensor Mask, Tensor Sentence, GlamOutput Want) GeneratorInputs(
        ConditioningAugmentation ca, GlamGenerator generator, int[] lengths)
    {
        var options = generator.Options;
        int batch = lengths.Length, t = lengths.Max();
        var mask = tensor(Enumerable.Range(0, batch * t).Select(k => k % t >= lengths[k / t]).ToArray()).view(batch, t);
        var words = randn(batch, options.TextDim, t).masked_fill(mask.unsqueeze(1), 0);
        var sentence = randn(batch, options.TextDim);
        var z = randn(batch, options.ZDim);
        var eps = randn(batch, options.ConditionDim);
        using (no_grad())
        {
            var (_, mu, logVar) = ca.call(sentence);
            return (z, eps, words, mask, sentence, generator.call(z, mu + exp(logVar * 0.5) * eps, words, mask));
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(8, false)]
    [InlineData(8, true)]
    [InlineData(8, false, true)]
    [InlineData(8, true, true)]
    public void Generator_with_CA_matches_TorchSharp(int batch, bool maskBug, bool initAttention = false)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var options = TinyGenerator(maskBug: maskBug, initAttention: initAttention);
        using var ca = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        using var generator = new GlamGenerator(options);
        RandomiseBatchNorms(generator, 6);
        ca.eval();
        generator.eval();
        var lengths = Captions(batch, 5, 3).Select(c => c.Length).ToArray();
        var (z, eps, words, mask, sentence, want) = GeneratorInputs(ca, generator, lengths);

        var got = Run(GlamOnnxExporter.Export(ca, generator, attentionMaps: true),
            Float(Z, z), Float(CaNoise, eps), Float(WordFeatures, words), Bool(PadMask, mask), Float(SentenceFeature, sentence));
        for (int s = 0; s < options.Stages; s++)
        {
            int size = 64 << s;
            float d = MaxDiff(got[Image(size)], want.Images[s]);
            Record($"random generator b{batch}{(maskBug ? " maskbug" : "")}{(initAttention ? " init-attention" : "")} {Image(size)}", d);
            Assert.True(d <= Tolerance, $"{Image(size)} differs by {d}");
            if (s == 0) continue;
            float a = MaxDiff(got[Attention(size)], want.Attention[s - 1]);
            Record($"random generator b{batch}{(maskBug ? " maskbug" : "")}{(initAttention ? " init-attention" : "")} {Attention(size)}", a);
            Assert.True(a <= Tolerance, $"{Attention(size)} differs by {a}");
        }
    }

    [Theory]
    [InlineData("Resize", 2)]
    [InlineData("SubPixel2x2", 2)]
    [InlineData("SubPixel3x3", 2)]
    [InlineData("SubPixel2x2", 8)]
    public void Every_up_block_form_matches_TorchSharp(string formName, int batch)
    {
        var form = Enum.Parse<Microsoft.ML.MirrorGan.Onnx.Graph.UpsampleExport>(formName);
        using var scope = NewDisposeScope();
        manual_seed(12);
        var options = TinyGenerator(stages: 2, initAttention: true);
        using var ca = new ConditioningAugmentation(options.TextDim, options.ConditionDim);
        using var generator = new GlamGenerator(options);
        RandomiseBatchNorms(generator, 7);
        ca.eval();
        generator.eval();
        var (z, eps, words, mask, sentence, want) = GeneratorInputs(ca, generator, Enumerable.Range(0, batch).Select(i => 4 - i % 3).ToArray());
        var bytes = GlamOnnxExporter.Export(ca, generator, attentionMaps: false, normalizeSentence: false, sentenceStandardization: null, form);
        var ops = Microsoft.ML.MirrorGan.Onnx.Proto.ModelProto.Parser.ParseFrom(bytes).Graph.Node.Select(n => n.OpType).ToList();
        // 4 up-blocks in the first stage, 1 in the second: each either a Resize or a DepthToSpace of its phases.
        Assert.Equal(form == Microsoft.ML.MirrorGan.Onnx.Graph.UpsampleExport.Resize ? 5 : 0, ops.Count(op => op == "Resize"));
        Assert.Equal(form == Microsoft.ML.MirrorGan.Onnx.Graph.UpsampleExport.Resize ? 0 : 5, ops.Count(op => op == "DepthToSpace"));
        var got = Run(bytes, Float(Z, z), Float(CaNoise, eps), Float(WordFeatures, words), Bool(PadMask, mask), Float(SentenceFeature, sentence));
        for (int s = 0; s < options.Stages; s++)
        {
            int size = 64 << s;
            float d = MaxDiff(got[Image(size)], want.Images[s]);
            Record($"random generator up-blocks {form} b{batch} {Image(size)}", d);
            Assert.True(d <= Tolerance, $"{form}: {Image(size)} differs by {d}");
        }
    }

    [Theory]
    [InlineData(1, 0, 32)]
    [InlineData(8, 3, 24)]
    [InlineData(8, 4, 32)]
    public void Captioner_encoder_and_decoder_step_match_TorchSharp(int batch, int regionGrid, int imageSize)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var net = new StreamCaptionNet(new SmallCnnBackbone(32, 4), vocabularySize: 17, embedSize: 12, hiddenSize: 9, regionGrid: regionGrid);
        RandomiseBatchNorms(net, 8);
        net.eval();
        var images = rand(batch, 3, imageSize, imageSize) * 2 - 1;
        Tensor feature;
        using (no_grad()) feature = net.Encoder.call(images);
        var gotFeature = Run(StreamOnnxExporter.ExportEncoder(net.Encoder, imageSize), Float(CaptionImage, images))[ImageFeature];
        float f = MaxDiff(gotFeature, feature);
        Record($"random stream_encoder b{batch} grid{regionGrid} {ImageFeature}", f);
        Assert.True(f <= Tolerance, $"image feature differs by {f}");

        var step = StreamOnnxExporter.ExportDecoderStep(net.Decoder);
        using var noGrad = no_grad();
        // Step 0 reads the image feature from a zero state; step 1 embeds words from step 0's state.
        var (lp0, state0) = net.Decoder.Step(feature, null);
        var got0 = Run(step, Int64(Token, Enumerable.Repeat(-1L, batch).ToArray(), batch), Float(ImageFeature, feature),
            Float(StateH, TorchSharp.torch.zeros(1, batch, 9)), Float(StateC, TorchSharp.torch.zeros(1, batch, 9)));
        var tokens = Enumerable.Range(0, batch).Select(i => (long)(i % 16 + 1)).ToArray();
        var (lp1, state1) = net.Decoder.Step(net.Decoder.Embed(tensor(tokens)), state0);
        var got1 = Run(step, Int64(Token, tokens, batch), Float(ImageFeature, feature), Float(StateH, state0.H), Float(StateC, state0.C));
        foreach (var (name, d) in new[]
        {
            (LogProbs + " step0", MaxDiff(got0[LogProbs], lp0)), (StateHOut + " step0", MaxDiff(got0[StateHOut], state0.H)),
            (StateCOut + " step0", MaxDiff(got0[StateCOut], state0.C)), (LogProbs + " step1", MaxDiff(got1[LogProbs], lp1)),
            (StateHOut + " step1", MaxDiff(got1[StateHOut], state1.H)), (StateCOut + " step1", MaxDiff(got1[StateCOut], state1.C)),
        })
        {
            Record($"random stream_decoder_step b{batch} {name}", d);
            Assert.True(d <= Tolerance, $"{name} differs by {d}");
        }
    }
}
