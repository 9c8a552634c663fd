using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(MirrorGanTransformer), typeof(MirrorGanModelLoader<MirrorGanTransformer>), null,
    typeof(SignatureLoadModel), "MirrorGAN generator (GLAM)", MirrorGanTransformer.LoaderSignature)]

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// The fitted MirrorGAN generator (EMA weights, eval mode): reads <c>TextEmbed</c>'s columns (word features, word count,
/// sentence feature) and writes a generated image (<see cref="MLImage"/>, final resolution), optionally every stage's image,
/// the word-attention maps and the lossless pixels. Compose it after TextEmbed:
/// <c>textEmbed.Append(mirrorGan).Append(captioner)</c>. Noise z and CA's ε come from a torch generator seeded per row
/// (the seed column, or <see cref="Seed"/>), so the same caption and seed always give the same image, whatever the batch.
/// Rows are generated in batches of 32.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once: <c>Transform</c> (each thread its own data view and
/// cursor), per-thread <c>PredictionEngine</c>s (an engine itself is not thread-safe) and the public <c>Generate</c> methods give
/// exactly the results of sequential scoring (tested with 8 threads). Scoring only reads the network. TorchSharp 0.107's Scalar race can fail a
/// forward pass while another thread allocates; <see cref="TorchGcGuard.GuardInference"/> (off by default) guards them. Do not train, move (<c>to(device)</c>) or dispose the
/// network while another thread scores.</remarks>
public sealed class MirrorGanTransformer : MirrorGanTransformerBase, IMirrorGanPersistable<MirrorGanTransformer>
{
    internal const string LoaderSignature = "MirrorGanGlamGenerator";

    private static readonly MirrorGanModelFormat FormatInfo = new("MGGLAMG_", 0x00010003, 0x00010001, LoaderSignature, typeof(MirrorGanTransformer));

    private readonly MirrorGanGeneratorNet _net;

    /// <summary>Creates the transformer around a trained generator (the trainer passes one holding the EMA weights).</summary>
    /// <param name="env">The ML.NET environment.</param>
    /// <param name="generator">G; put into eval mode and used on its current device.</param>
    /// <param name="maxWords">W of TextEmbed's word-feature column.</param>
    /// <param name="columns">Column names.</param>
    /// <param name="seed">Seed of rows without a seed column.</param>
    public MirrorGanTransformer(IHostEnvironment env, MirrorGanGeneratorNet generator, int maxWords, MirrorGanColumns? columns = null, int seed = 0)
        : base(env, nameof(MirrorGanTransformer))
    {
        TorchRuntime.EnsureLoaded();
        _net = generator ?? throw new ArgumentNullException(nameof(generator));
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "maxWords (TextEmbed's MaxWords) must be at least 1.");
        MaxWords = maxWords;
        Columns = columns ?? new MirrorGanColumns();
        Seed = seed;
        _net.eval();
    }

    static MirrorGanModelFormat IMirrorGanPersistable<MirrorGanTransformer>.Format => FormatInfo;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <summary>The generator (eval mode). Shared: do not train it.</summary>
    public MirrorGanGeneratorNet Generator => _net;

    /// <summary>W, the word slots of the input word-feature column.</summary>
    public int MaxWords { get; }

    /// <summary>Column names.</summary>
    public MirrorGanColumns Columns { get; }

    /// <summary>Seed used for rows when there is no seed column.</summary>
    public int Seed { get; }

    /// <summary>D, the text feature size expected.</summary>
    public int TextDim => _net.Options.TextDim;

    /// <summary>Side of the final image.</summary>
    public int ImageSize => _net.Options.FinalSize;

    /// <summary>A transformer sharing this generator with other columns or seed.</summary>
    public MirrorGanTransformer With(MirrorGanColumns columns, int? seed = null) => new(Host, _net, MaxWords, columns, seed ?? Seed);

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns
    {
        get
        {
            var list = new List<InputColumnSpec>
            {
                InputColumnSpec.FloatVector(Columns.WordFeaturesColumnName, TextDim * MaxWords),
                new(Columns.WordCountColumnName, t => t == NumberDataViewType.Int32, "Int32 (TextEmbed's WordCount)"),
                InputColumnSpec.FloatVector(Columns.SentenceFeatureColumnName, TextDim),
            };
            // Optional: without it every row uses Seed, so a caption alone still generates (the same image each time).
            if (Columns.SeedColumnName is not null)
                list.Add(new(Columns.SeedColumnName, t => t == NumberDataViewType.Int32, "Int32 (a seed per row)") { Optional = true });
            return list;
        }
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns
    {
        get
        {
            var o = _net.Options;
            var list = new List<OutputColumnSpec> { new(Columns.GeneratedImageColumnName, new ImageDataViewType(ImageSize, ImageSize)) };
            foreach (var (name, s) in Columns.StageImageColumns(o.Stages))
                list.Add(new(name, new ImageDataViewType(o.BaseSize << s, o.BaseSize << s)));
            foreach (var (name, s) in Columns.AttentionColumns(o.Stages))
            {
                long side = o.BaseSize << (s - 1); // stage s attends over the previous stage's features
                list.Add(new(name, new VectorDataViewType(NumberDataViewType.Single, (int)(MaxWords * side * side))));
            }
            if (Columns.GeneratedPixelsColumnName is not null) list.Add(new(Columns.GeneratedPixelsColumnName, new VectorDataViewType(NumberDataViewType.Single, 3 * ImageSize * ImageSize)));
            return list;
        }
    }

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        int n = inputs.Count;
        var words = inputs.Column<float[]>(0);
        var counts = inputs.Column<int>(1);
        var sentences = inputs.Column<float[]>(2);
        var seeds = Columns.SeedColumnName is not null && inputs.Has(3) ? inputs.Column<int>(3) : Enumerable.Repeat(Seed, n).ToArray();
        for (int i = 0; i < n; i++)
            if (counts[i] < 1 || counts[i] > MaxWords)
                throw new InvalidOperationException(
                    $"MirrorGan: row {inputs.RowPositions[i]} of column '{Columns.WordCountColumnName}' is {counts[i]}; it must be 1 to {MaxWords}. " +
                    "A caption without known words cannot be drawn: remove the row (TextEmbed's EmptyCaption = Zeros gives 0).");
        var result = Generate(words, counts, sentences, seeds);
        int col = 0;
        for (int i = 0; i < n; i++) outputs.Set(col, i, ImageTensor.FromChw(result.Images[^1][i], ImageSize));
        col++;
        if (Columns.AllStages)
            for (int s = 0; s < result.Images.Count - 1; s++, col++)
                for (int i = 0; i < n; i++) outputs.Set(col, i, ImageTensor.FromChw(result.Images[s][i], _net.Options.BaseSize << s));
        if (Columns.AttentionColumnPrefix is not null)
            for (int s = 0; s < result.Attention.Count; s++, col++)
                for (int i = 0; i < n; i++) outputs.Set(col, i, result.Attention[s][i]);
        if (Columns.GeneratedPixelsColumnName is not null)
            for (int i = 0; i < n; i++) outputs.Set(col, i, result.Images[^1][i]);
    }

    /// <summary>
    /// Generates from TextEmbed features (no gradients). Returns per stage one CHW float array per row, and per
    /// refinement stage one W·S·S attention array per row (zero for words past the count).
    /// </summary>
    public GeneratedBatch Generate(IReadOnlyList<float[]> wordFeatures, IReadOnlyList<int> wordCounts, IReadOnlyList<float[]> sentenceFeatures, IReadOnlyList<int> seeds)
    {
        int n = wordFeatures.Count, d = TextDim, w = MaxWords;
        var o = _net.Options;
        int l = wordCounts.Max();
        var words = new float[n * d * l];
        var mask = new bool[n * l];
        var sent = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            if (wordFeatures[i].Length != d * w || sentenceFeatures[i].Length != d)
                throw new ArgumentException($"Row {i}: expected {d}·{w} word features and {d} sentence features; got {wordFeatures[i].Length} and {sentenceFeatures[i].Length}.");
            for (int f = 0; f < d; f++)
                for (int t = 0; t < l; t++)
                    words[(i * d + f) * l + t] = t < wordCounts[i] ? wordFeatures[i][f * w + t] : 0f;
            for (int t = 0; t < l; t++) mask[i * l + t] = t >= wordCounts[i];
            sentenceFeatures[i].CopyTo(sent, i * d);
        }
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        List<Tensor> imageTensors, attentionTensors;
        // TorchSharp's Scalar lifetime race applies to inference too (see TorchGcGuard); the copies into managed arrays
        // happen after the guard, so the guarded region allocates little.
        using (TorchGcGuard.EnterForInference())
        {
            _net.eval();
            var device = _net.parameters().First().device;
            var (z, eps) = SeededNoise(seeds, o.ZDim, o.ConditionDim);
            var g = _net.Generate(z.to(device), eps.to(device), tensor(sent, new long[] { n, d }).to(device),
                tensor(words, new long[] { n, d, l }).to(device), tensor(mask, new long[] { n, l }).to(device));
            imageTensors = g.Output.Images.Select(img => img.cpu()).ToList();
            attentionTensors = g.Output.Attention.Select(a => a.cpu()).ToList();
        }
        var images = imageTensors.Select(img => Rows(img, n)).ToList();
        var maps = attentionTensors.Select(a => PadWords(a, n, l, w)).ToList();
        return new GeneratedBatch(images, maps);
    }

    /// <summary>z (B×Z) and ε (B×c) from <see cref="GenerationNoise"/>, row by row: the ONNX back end draws the same.</summary>
    internal static (Tensor Z, Tensor Eps) SeededNoise(IReadOnlyList<int> seeds, int zDim, int conditionDim)
    {
        var (z, eps) = GenerationNoise.ForRows(seeds, zDim, conditionDim);
        return (torch.tensor(z, new long[] { seeds.Count, zDim }), torch.tensor(eps, new long[] { seeds.Count, conditionDim }));
    }

    private static float[][] Rows(Tensor t, int n)
    {
        var all = t.contiguous().data<float>().ToArray();
        int per = all.Length / n;
        return Enumerable.Range(0, n).Select(i => all.AsSpan(i * per, per).ToArray()).ToArray();
    }

    private static float[][] PadWords(Tensor map, int n, int l, int w)
    {
        long plane = map.shape[2] * map.shape[3];
        var all = map.contiguous().data<float>().ToArray();
        var result = new float[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = new float[w * plane];
            Array.Copy(all, i * l * plane, result[i], 0, l * plane);
        }
        return result;
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer)
    {
        var w = writer.Writer;
        var o = _net.Options;
        writer.WriteString(Columns.WordFeaturesColumnName);
        writer.WriteString(Columns.WordCountColumnName);
        writer.WriteString(Columns.SentenceFeatureColumnName);
        writer.WriteString(Columns.GeneratedImageColumnName);
        WriteOptional(writer, Columns.SeedColumnName);
        WriteOptional(writer, Columns.AttentionColumnPrefix);
        WriteOptional(writer, Columns.GeneratedPixelsColumnName);
        w.Write(Columns.AllStages);
        w.Write(MaxWords);
        w.Write(Seed);
        w.Write(o.Stages);
        w.Write(o.GeneratorDim);
        w.Write(o.DiscriminatorDim);
        w.Write(o.ResidualBlocks);
        w.Write(o.ZDim);
        w.Write(o.ConditionDim);
        w.Write(o.TextDim);
        w.Write(o.ReproduceAttnGanMaskBug);
        w.Write(_net.NormalizeSentence);
        w.Write(o.InitStageAttention); // since 0x00010002
        w.Write(_net.StandardizeSentence); // since 0x00010003; the statistics are buffers in Generator.bin
        writer.WriteModule("Generator.bin", _net);
    }

    private static void WriteOptional(ModelWriter writer, string? value)
    {
        writer.Writer.Write(value is not null);
        if (value is not null) writer.WriteString(value);
    }

    private static string? ReadOptional(ModelReader reader) => reader.Reader.ReadBoolean() ? reader.ReadString() : null;

    /// <summary>Loads what <see cref="SaveModel"/> wrote (onto the CPU).</summary>
    public static MirrorGanTransformer Load(IHostEnvironment env, ModelReader reader)
    {
        TorchRuntime.EnsureLoaded();
        var r = reader.Reader;
        string words = reader.ReadString(), count = reader.ReadString(), sentence = reader.ReadString(), image = reader.ReadString();
        string? seedColumn = ReadOptional(reader), attention = ReadOptional(reader), pixels = ReadOptional(reader);
        bool allStages = r.ReadBoolean();
        int maxWords = reader.ReadInt32("MaxWords", 1, 100_000), seed = r.ReadInt32();
        // Bounds far above any real model; they stop a damaged file from sizing a network of terabytes.
        var options = new GlamNetworkOptions
        {
            Stages = reader.ReadInt32("Stages", 1, 16), GeneratorDim = reader.ReadInt32("GeneratorDim", 1, 4_096),
            DiscriminatorDim = reader.ReadInt32("DiscriminatorDim", 1, 4_096), ResidualBlocks = reader.ReadInt32("ResidualBlocks", 0, 64),
            ZDim = reader.ReadInt32("ZDim", 1, 16_384), ConditionDim = reader.ReadInt32("ConditionDim", 1, 16_384), TextDim = reader.ReadInt32("TextDim", 1, 16_384),
            ReproduceAttnGanMaskBug = r.ReadBoolean(),
        };
        bool normalize = r.ReadBoolean();
        if (reader.WrittenVersion >= 0x00010002) options = options with { InitStageAttention = r.ReadBoolean() };
        bool standardize = reader.WrittenVersion >= 0x00010003 && r.ReadBoolean();
        var net = new MirrorGanGeneratorNet(options with { NormalizeSentence = normalize, StandardizeSentence = standardize });
        reader.ReadModule("Generator.bin", net);
        var columns = new MirrorGanColumns
        {
            WordFeaturesColumnName = words, WordCountColumnName = count, SentenceFeatureColumnName = sentence, GeneratedImageColumnName = image, SeedColumnName = seedColumn,
            AttentionColumnPrefix = attention, GeneratedPixelsColumnName = pixels, AllStages = allStages,
        };
        return new MirrorGanTransformer(env, net, maxWords, columns, seed);
    }
}

/// <summary>Generated images and attention maps of a batch.</summary>
/// <param name="Images">Per stage (smallest first), per row: 3·S·S floats in [−1, 1], CHW.</param>
/// <param name="Attention">Per refinement stage, per row: W·S·S floats, word-major (S of the attended features).</param>
public sealed record GeneratedBatch(IReadOnlyList<float[][]> Images, IReadOnlyList<float[][]> Attention);
