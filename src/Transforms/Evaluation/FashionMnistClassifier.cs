using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(FashionMnistClassifier), typeof(MirrorGanModelLoader<FashionMnistClassifier>), null,
    typeof(SignatureLoadModel), "Fashion-MNIST classifier", FashionMnistClassifier.LoaderSignature)]

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// The built-in Fashion-MNIST classifier (<see cref="FashionMnistClassifierNet"/>) for Inception Score, class
/// accuracy and Fréchet distances of (generated) Fashion-MNIST images. As a transformer it reads an image column
/// (<see cref="MLImage"/>, any size; colour is averaged to grey) and adds <c>PredictedClass</c> (Int32, the label 0-9
/// as the loader's <c>ClassId</c>) and <c>ClassProbabilities</c> (Vector&lt;Single, 10&gt;). It saves into an ML.NET
/// model zip like the other transformers (<c>mlContext.Model.Save</c>; load with <see cref="Load(MLContext, string)"/>).
/// Train one with <c>FashionMnistClassifierTrainer</c>.
/// </summary>
/// <remarks>Thread-safety: one instance may serve many threads at once: <c>Transform</c> (each thread its own data view and
/// cursor), per-thread <c>PredictionEngine</c>s (an engine itself is not thread-safe) and the public scoring methods give
/// exactly the results of sequential scoring (tested with 8 threads). Scoring only reads the network. TorchSharp 0.107's Scalar race can fail a
/// forward pass while another thread allocates; <see cref="TorchGcGuard.GuardInference"/> (off by default) guards them. Do not train, move (<c>to(device)</c>) or dispose the
/// network while another thread scores.</remarks>
public sealed class FashionMnistClassifier : MirrorGanTransformerBase, IMirrorGanPersistable<FashionMnistClassifier>,
    IImageClassifier, IImageFeatureExtractor
{
    internal const string LoaderSignature = "MirrorGanFashionCls"; // ML.NET caps loader signatures at 24 characters

    private static readonly MirrorGanModelFormat FormatInfo = new("MGFMNCLS", 0x00010001, 0x00010001, LoaderSignature, typeof(FashionMnistClassifier));

    private readonly FashionMnistClassifierNet _net;

    /// <summary>Wraps a trained network (switched to eval mode).</summary>
    public FashionMnistClassifier(IHostEnvironment env, FashionMnistClassifierNet net, string imageColumn = "Image",
        string predictedClassColumn = "PredictedClass", string probabilitiesColumn = "ClassProbabilities")
        : base(env, nameof(FashionMnistClassifier))
    {
        _net = net ?? throw new ArgumentNullException(nameof(net));
        _net.eval();
        ImageColumnName = imageColumn;
        PredictedClassColumn = predictedClassColumn;
        ProbabilitiesColumn = probabilitiesColumn;
    }

    /// <summary>The input image column.</summary>
    public string ImageColumnName { get; }

    /// <summary>The output Int32 column with the most probable class.</summary>
    public string PredictedClassColumn { get; }

    /// <summary>The output Vector&lt;Single, 10&gt; column with p(y|x).</summary>
    public string ProbabilitiesColumn { get; }

    /// <summary>The network (eval mode). Shared: do not train it.</summary>
    public FashionMnistClassifierNet Network => _net;

    /// <summary>Test accuracy measured when it was trained (NaN when unknown); saved with the model.</summary>
    public double TestAccuracy { get; init; } = double.NaN;

    /// <inheritdoc/>
    public int ClassCount => 10;

    /// <inheritdoc/>
    public string Name => "fashion-mnist-cnn";

    /// <summary>Images per network call in <see cref="PredictProbabilities"/> and <see cref="ExtractFeatures"/>.</summary>
    public int EvaluationBatchSize { get; init; } = 256;

    static MirrorGanModelFormat IMirrorGanPersistable<FashionMnistClassifier>.Format => FormatInfo;

    /// <inheritdoc/>
    protected override MirrorGanModelFormat Format => FormatInfo;

    /// <inheritdoc/>
    protected override int BatchSize => 64;

    /// <inheritdoc/>
    protected override IReadOnlyList<InputColumnSpec> InputColumns => new[] { InputColumnSpec.Image(ImageColumnName) };

    /// <inheritdoc/>
    protected override IReadOnlyList<OutputColumnSpec> OutputColumns => new[]
    {
        new OutputColumnSpec(PredictedClassColumn, NumberDataViewType.Int32),
        new OutputColumnSpec(ProbabilitiesColumn, new VectorDataViewType(NumberDataViewType.Single, ClassCount)),
    };

    /// <inheritdoc/>
    protected override void MapBatch(InputBatch inputs, OutputBatch outputs)
    {
        var images = inputs.Column<MLImage?>(0);
        // The network's input is 32 px; rendering at 32 directly lets SkiaSharp do the (filtered) downsampling.
        int size = FashionMnistClassifierNet.InputSize;
        var chw = images.Select((im, i) => ImageTensor.ToChw(im ?? throw new InvalidOperationException(
            $"{nameof(FashionMnistClassifier)}: row {inputs.RowPositions[i]} of column '{ImageColumnName}' has no image."), size)).ToArray();
        var p = PredictProbabilities(chw, size);
        for (int i = 0; i < p.Length; i++)
        {
            outputs.Set(0, i, ArgMax(p[i]));
            outputs.Set(1, i, p[i]);
        }
    }

    /// <inheritdoc/>
    public float[][] PredictProbabilities(IReadOnlyList<float[]> images, int imageSize) =>
        Run(images, imageSize, x => nn.functional.softmax(_net.call(x), 1));

    /// <summary>The 128 penultimate activations: a Fashion-MNIST-specific feature space for Fréchet distances.</summary>
    public float[][] ExtractFeatures(IReadOnlyList<float[]> images, int imageSize) => Run(images, imageSize, _net.Features);

    /// <summary>The most probable class of each image.</summary>
    public int[] PredictClasses(IReadOnlyList<float[]> images, int imageSize) =>
        PredictProbabilities(images, imageSize).Select(ArgMax).ToArray();

    /// <summary>Loads a classifier saved with <c>mlContext.Model.Save</c>, failing clearly when the zip holds something else.</summary>
    public static FashionMnistClassifier Load(MLContext mlContext, string path)
    {
        if (mlContext is null) throw new ArgumentNullException(nameof(mlContext));
        var model = mlContext.Model.Load(path, out _);
        return model as FashionMnistClassifier
            ?? (model as TransformerChain<ITransformer>)?.OfType<FashionMnistClassifier>().LastOrDefault()
            ?? throw new InvalidDataException($"'{path}' holds a {model.GetType().Name}, not a {nameof(FashionMnistClassifier)}.");
    }

    private float[][] Run(IReadOnlyList<float[]> images, int imageSize, Func<Tensor, Tensor> head)
    {
        if (images is null) throw new ArgumentNullException(nameof(images));
        _net.eval();
        var result = new List<float[]>(images.Count);
        for (int start = 0; start < images.Count; start += EvaluationBatchSize)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int n = Math.Min(EvaluationBatchSize, images.Count - start);
            var input = ImageFeatureExtractors.ToTensor(images, start, n, imageSize);
            Tensor y;
            using (TorchGcGuard.EnterForInference()) // TorchSharp's Scalar lifetime race: see TorchGcGuard
                y = head(FashionMnistClassifierNet.Preprocess(input));
            int d = (int)y.shape[1];
            var values = y.cpu().contiguous().data<float>().ToArray();
            for (int i = 0; i < n; i++) result.Add(values.AsSpan(i * d, d).ToArray());
        }
        return result.ToArray();
    }

    private static int ArgMax(float[] row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelWriter writer)
    {
        writer.WriteString(ImageColumnName);
        writer.WriteString(PredictedClassColumn);
        writer.WriteString(ProbabilitiesColumn);
        writer.Writer.Write(TestAccuracy);
        writer.WriteModule("Net.bin", _net);
    }

    /// <summary>Loads what <see cref="SaveModel"/> wrote.</summary>
    public static FashionMnistClassifier Load(IHostEnvironment env, ModelReader reader)
    {
        string image = reader.ReadString(), predicted = reader.ReadString(), probabilities = reader.ReadString();
        double accuracy = reader.Reader.ReadDouble();
        TorchRuntime.EnsureLoaded();
        var net = new FashionMnistClassifierNet();
        reader.ReadModule("Net.bin", net);
        return new FashionMnistClassifier(env, net, image, predicted, probabilities) { TestAccuracy = accuracy };
    }
}
