using System.Diagnostics;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>One pretraining row: the caption's word indices (not yet fitted to W), its image (3×S×S in [−1, 1]) and class.</summary>
/// <param name="WordIds">Word indices of the caption (at least one).</param>
/// <param name="Image">CHW pixels in [−1, 1] at the trainer's image size.</param>
/// <param name="ClassId">Class for same-class masking (ignored when masking is off).</param>
public sealed record DamsmExample(int[] WordIds, float[] Image, int ClassId);

/// <summary>
/// DAMSM pretraining (AttnGAN <c>pretrain_DAMSM.py</c>): loss = word loss (both ways) + sentence loss (both ways);
/// Adam(lr, β = 0.5/0.999) over the text encoder and the image encoder's trainable parameters; gradient norm
/// clipped on the text encoder only; learning rate ×decay per epoch while above lr/10.
/// </summary>
/// <remarks>Thread-safety: not thread-safe (it owns the networks being trained and their optimiser); use it from one thread.</remarks>
public sealed class DamsmTrainer
{
    private readonly TextEmbedOptions _options;
    private readonly IChannel? _ch;
    private readonly Random _random;
    private readonly Device _device;
    private optim.Optimizer _optimizer;
    private double _lr;

    /// <summary>Creates fresh networks for <paramref name="vocabulary"/> (seeded from <see cref="TextEmbedOptions.Seed"/>).</summary>
    public DamsmTrainer(TextEmbedOptions options, Vocabulary vocabulary, IChannel? channel = null, int fallbackSeed = 0)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _ch = channel;
        TorchRuntime.EnsureLoaded();
        int seed = options.Seed ?? fallbackSeed;
        torch.manual_seed(seed);
        _random = new Random(seed);
        _device = TorchRuntime.ResolveDevice(options.Device);
        Text = new TextEncoder(vocabulary.Count, options.EmbeddingSize, options.HiddenSize, options.Dropout);
        Image = new DamsmImageEncoder(options.Backbone.Create(), Text.FeatureSize);
        Text.to(_device);
        Image.to(_device);
        _lr = options.LearningRate;
        _optimizer = NewOptimizer();
    }

    /// <summary>The vocabulary the text encoder indexes.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The text encoder being trained.</summary>
    public TextEncoder Text { get; }

    /// <summary>The image encoder being trained.</summary>
    public DamsmImageEncoder Image { get; }

    /// <summary>Current learning rate.</summary>
    public double LearningRate => _lr;

    /// <summary>Optimisation steps taken so far (the 0-based index of the next step).</summary>
    public int Iterations { get; private set; }

    /// <summary>Test hook: replaces a loss term by name (<c>word</c>, <c>sentence</c>) before the finiteness check.</summary>
    internal Func<string, Tensor, Tensor>? LossHook { get; set; }

    private int _epoch = 1;

    private optim.Optimizer NewOptimizer() =>
        torch.optim.Adam(Text.parameters().Concat(Image.TrainableParameters), lr: _lr, beta1: 0.5, beta2: 0.999);

    /// <summary>One optimisation step on <paramref name="batch"/> (at least 2 rows); returns (word loss, sentence loss).</summary>
    public (double WordLoss, double SentenceLoss) Step(IReadOnlyList<DamsmExample> batch)
    {
        if (batch.Count < 2) throw new ArgumentException("A DAMSM step needs at least 2 rows (the losses contrast rows of a batch).", nameof(batch));
        using var gcGuard = TorchGcGuard.Enter(); // TorchSharp's Scalar lifetime race: see TorchGcGuard
        using var scope = NewDisposeScope();
        Text.train();
        Image.train();
        // Training-time word dropping: a random subset of W positions, order kept (AttnGAN get_caption).
        var ids = batch.Select(e => Vocabulary.Fit(e.WordIds, _options.MaxWords, _random).Ids).ToArray();
        var (idTensor, lengths) = CaptionBatch.ToTensors(ids, _device);
        int plane = batch[0].Image.Length;
        var pixels = new float[batch.Count * plane];
        for (int i = 0; i < batch.Count; i++) batch[i].Image.CopyTo(pixels, i * plane);
        int side = (int)Math.Round(Math.Sqrt(plane / 3.0));
        var images = torch.tensor(pixels, new long[] { batch.Count, 3, side, side }).to(_device);
        int[]? classes = _options.ClassIdColumnName is null ? null : batch.Select(e => e.ClassId).ToArray();

        _optimizer.zero_grad();
        var (words, sentence) = Text.call(idTensor, lengths);
        var (regions, global) = Image.call(images);
        var (w0, w1, _) = DamsmLoss.WordLoss(words, ids.Select(x => x.Length).ToArray(), regions, classes, _options.Gamma1, _options.Gamma2, _options.Gamma3);
        var (s0, s1, _) = DamsmLoss.SentenceLoss(global, sentence, classes, _options.Gamma3);
        var wordLoss = Hook("word", w0 + w1);
        var sentLoss = Hook("sentence", s0 + s1);
        // Checked before backward: one NaN step would make every weight NaN, and nothing downstream would say why.
        double word = Finite(wordLoss, "word"), sent = Finite(sentLoss, "sentence");
        (wordLoss + sentLoss).backward();
        if (_options.GradientClipNorm > 0) nn.utils.clip_grad_norm_(Text.parameters(), _options.GradientClipNorm);
        _optimizer.step();
        Iterations++;
        return (word, sent);
    }

    private Tensor Hook(string term, Tensor loss) => LossHook is null ? loss : LossHook(term, loss);

    private double Finite(Tensor loss, string term)
    {
        double v = loss.item<float>();
        if (!double.IsFinite(v))
            throw NonFiniteLossException.Pretraining("TextEmbed (DAMSM pretraining)", term, Iterations, _epoch, v,
                "Lower TextEmbedOptions.LearningRate, set GradientClipNorm, or check the captions and images.");
        return v;
    }

    /// <summary>Trains for the configured epochs (or until <see cref="TextEmbedOptions.MaxTrainingTime"/>), reporting progress.</summary>
    public void Fit(IReadOnlyList<DamsmExample> data)
    {
        int batchSize = Math.Min(_options.BatchSize, data.Count);
        if (batchSize < 2) throw new ArgumentException($"DAMSM pretraining needs at least 2 rows with words; got {data.Count}.", nameof(data));
        int steps = data.Count / batchSize; // the last partial batch is dropped, as the original's drop_last
        var clock = Stopwatch.StartNew();
        var order = Enumerable.Range(0, data.Count).ToArray();
        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            if (epoch > 0 && _options.ResetOptimizerEachEpoch)
            {
                _optimizer.Dispose();
                _optimizer = NewOptimizer();
            }
            _epoch = epoch + 1;
            _random.Shuffle(order);
            double wSum = 0, sSum = 0;
            int done = 0;
            for (int s = 0; s < steps; s++)
            {
                var batch = order.AsSpan(s * batchSize, batchSize).ToArray().Select(i => data[i]).ToArray();
                var (w, sl) = Step(batch);
                wSum += w;
                sSum += sl;
                done++;
                _options.Progress?.Report(new TextEmbedProgress(epoch, s, steps, w, sl, _lr, clock.Elapsed));
                if (_options.MaxTrainingTime is { } limit && clock.Elapsed >= limit) break;
            }
            _ch?.Info(MessageSensitivity.None, $"TextEmbed DAMSM epoch {epoch + 1}/{_options.Epochs}: word loss {wSum / Math.Max(1, done):F4}, " +
                $"sentence loss {sSum / Math.Max(1, done):F4}, lr {_lr:G3}, {clock.Elapsed.TotalSeconds:F0} s");
            if (_lr > _options.LearningRate / 10)
            {
                _lr *= _options.LearningRateDecay;
                foreach (var g in _optimizer.ParamGroups) g.LearningRate = _lr;
            }
            if (_options.MaxTrainingTime is { } max && clock.Elapsed >= max)
            {
                _ch?.Info(MessageSensitivity.None, $"TextEmbed: stopped after {epoch + 1} epoch(s) at the {max} time limit.");
                break;
            }
        }
        Text.eval();
        Image.eval();
    }
}
