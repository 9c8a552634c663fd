using Microsoft.ML.MirrorGan.Backbones;
using System.Diagnostics;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>Command-line settings of the main job.</summary>
internal sealed record TrainSettings(string Dataset, string? DataPath, string? Preset, int Iterations, double? GanMinutes, string Output,
    string Device, int Seed, double? Lambda, int Threads, bool Ablation, int StemEpochs, int StreamEpochs, int? BatchSize)
{
    /// <summary>Write the text-side and captioner diagnostics into metrics.json.</summary>
    public bool Diagnose { get; init; }

    /// <summary>Folder holding (or receiving) the fitted TextEmbed and StreamCaptioner.</summary>
    public string? Pretrained { get; init; }

    /// <summary>Overrides the preset's <c>GlamNetworkOptions.InitStageAttention</c>.</summary>
    public bool? InitAttention { get; init; }

    /// <summary>Overrides the preset's GF_DIM.</summary>
    public int? GeneratorDim { get; init; }

    /// <summary>Overrides the preset's learning rate of G and every D.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Overrides TextEmbed's DAMSM image trunk.</summary>
    public string? StemBackbone { get; init; }

    /// <summary>Overrides the image side of TextEmbed's DAMSM pretraining.</summary>
    public int? StemImageSize { get; init; }

    /// <summary>Overrides TextEmbed's DAMSM batch size.</summary>
    public int? StemBatchSize { get; init; }

    /// <summary>Overrides the learning rate of every D (after <see cref="LearningRate"/>).</summary>
    public double? DiscriminatorLearningRate { get; init; }

    /// <summary>Overrides TextEmbed's DAMSM learning rate.</summary>
    public double? StemLearningRate { get; init; }

    /// <summary>Overrides the captioner's CNN trunk.</summary>
    public string? StreamBackbone { get; init; }

    /// <summary>Overrides the image side the captioner reads.</summary>
    public int? StreamImageSize { get; init; }

    /// <summary>Continue the GAN from the output folder's checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Overrides the number of batches that re-estimate the EMA generator's BatchNorm statistics.</summary>
    public int? EmaBatchNormBatches { get; init; }

    /// <summary>Overrides the decay of G's weight average.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Overrides TextEmbed's embedding dropout.</summary>
    public double? StemDropout { get; init; }

    /// <summary>Overrides DAMSM's γ3.</summary>
    public double? StemGamma3 { get; init; }

    /// <summary>Fit the text side in the job even where a shipped one exists.</summary>
    public bool FitTextSide { get; init; }
}

/// <summary>The main job: data → TextEmbed → StreamCaptioner → MirrorGan → model.zip → generate, re-caption, evaluate.</summary>
internal static class TrainJob
{
    /// <summary>GAN iterations of the main job on Shapes (the text side is shipped, so the GAN has the whole budget).</summary>
    public const int ShapesIterations = 4200;

    /// <summary>
    /// GAN batch of the main job on Shapes: 8, not the tiny preset's 16. The same images in twice the updates drew the
    /// held-out shapes right about twice as often (docs/experiments/2026-12-08-shapes-batch-size.md); batch 4 was no better.
    /// </summary>
    public const int ShapesBatchSize = 8;

    /// <summary>GAN iterations on Fashion-MNIST (the job fits its text side first).</summary>
    public const int FashionIterations = 1400;

    /// <summary>The GAN iterations of a run: the given number, else the dataset's default, else the preset's.</summary>
    public static int Iterations(string dataset, string? preset, int? given) => given ?? dataset switch
    {
        "shapes" => ShapesIterations,
        "fashion-mnist" => FashionIterations,
        _ => Presets.Trainer(preset ?? dataset).Iterations,
    };

    /// <summary>TextEmbed epochs when the job fits the text side.</summary>
    public const int DefaultStemEpochs = 6;

    /// <summary>StreamCaptioner epochs when the job fits the text side.</summary>
    public const int DefaultStreamEpochs = 7;

    /// <summary>TextEmbed epochs of the shipped Shapes text side (<c>pretrain</c>'s default).</summary>
    public const int ShippedStemEpochs = 40;

    /// <summary>Captioner epochs of the shipped Shapes text side (<c>pretrain</c>'s default).</summary>
    public const int ShippedStreamEpochs = 15;

    public static int Run(TrainSettings s)
    {
        var total = Stopwatch.StartNew();
        // The trainer's Resume starts from iteration 0 when no checkpoint exists; on the command line that is a wrong --out.
        string checkpointFile = Path.Combine(s.Output, "checkpoint", "checkpoint.bin");
        if (s.Resume && !File.Exists(checkpointFile))
            throw new ArgumentException($"--resume: no checkpoint at '{Path.GetFullPath(checkpointFile)}', so there is nothing to continue. " +
                "Point --out at the folder of an earlier main job (it writes checkpoint/ there), or drop --resume to train from the start.");
        TorchRuntime.EnsureLoaded();
        // Training batches are large enough for intra-op threads to pay on an idle machine; beyond 4 the small convolutions stop scaling.
        torch.set_num_threads(s.Threads > 0 ? s.Threads : Math.Clamp(Environment.ProcessorCount, 1, 4));
        var device = TorchRuntime.ResolveDevice(s.Device);
        Directory.CreateDirectory(s.Output);
        Console.WriteLine($"MirrorGAN experiments: dataset {s.Dataset}, device {device}, torch threads {torch.get_num_threads()}, output '{Path.GetFullPath(s.Output)}'");
        Console.WriteLine(TorchRuntime.CpuConvolutions);
        var ml = new MLContext(seed: s.Seed);
        // MLContext.Log carries the trainers' messages ("[Source=..., Kind=Info] MirrorGan: ..."); progress lines come via IProgress.
        ml.Log += (_, e) =>
        {
            int at = e.Message.IndexOf("MirrorGan: ", StringComparison.Ordinal);
            if (e.Kind >= Microsoft.ML.Runtime.ChannelMessageKind.Info && at >= 0 && !e.Message.Contains("MirrorGan: iter", StringComparison.Ordinal))
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}] {e.Message[at..]}");
        };
        var times = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        var (train, presetName) = TrainingData.Load(ml, s);
        times["data_s"] = clock.Elapsed.TotalSeconds;

        var options = Presets.Trainer(presetName);
        options.Device = s.Device;
        options.Seed = s.Seed;
        if (s.Lambda is { } l) options.StreamWeight = l;
        if (s.BatchSize is { } b) options.BatchSize = b;
        else if (s.Dataset == "shapes" && presetName == "tiny") options.BatchSize = ShapesBatchSize;
        if (s.InitAttention is { } ia) options.Network = options.Network with { InitStageAttention = ia };
        if (s.GeneratorDim is { } gf) options.Network = options.Network with { GeneratorDim = gf };
        if (s.LearningRate is { } lr) { options.GeneratorLearningRate = lr; options.DiscriminatorLearningRate = lr; }
        if (s.DiscriminatorLearningRate is { } dLr) options.DiscriminatorLearningRate = dLr;
        if (s.EmaBatchNormBatches is { } bn) options.EmaBatchNormBatches = bn;
        if (s.EmaDecay is { } decay) options.EmaDecay = decay;
        options.Resume = s.Resume;

        var (textEmbed, captioner, judge) = Pretrain(ml, train, s, options, times);
        var diagnostics = s.Diagnose ? Diagnostics.Run(textEmbed, captioner, s.Seed) : null;
        if (diagnostics is not null) Console.WriteLine($"  diagnostics: {System.Text.Json.JsonSerializer.Serialize(diagnostics)}");

        options.Iterations = s.Iterations;
        options.MaxTrainingTime = s.GanMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null;
        options.SampleFolder = Path.Combine(s.Output, "samples");
        options.CheckpointFolder = Path.Combine(s.Output, "checkpoint");
        options.Columns = new MirrorGanColumns { SeedColumnName = "Seed" };
        var progress = new GanProgress();
        options.Progress = progress;

        var runs = new List<(string Name, double Lambda)> { ("default", options.StreamWeight) };
        if (s.Ablation) runs.Add(("lambda0", 0));
        var metrics = new Dictionary<string, object>();
        foreach (var (name, lam) in runs)
        {
            clock.Restart();
            options.StreamWeight = lam;
            string folder = name == "default" ? s.Output : Path.Combine(s.Output, name);
            options.SampleFolder = Path.Combine(folder, "samples");
            options.CheckpointFolder = Path.Combine(folder, "checkpoint");
            Console.WriteLine($"[3/4] MirrorGan (GLAM, λ = {lam}, {s.Iterations} iterations{(s.GanMinutes is { } cap ? $", at most {cap:F1} min" : "")}); sample grids in '{options.SampleFolder}'");
            var chain = ml.Transforms.MirrorGan(options, textEmbed, captioner).Fit(train);
            times[$"gan_{name}_s"] = clock.Elapsed.TotalSeconds;
            string zip = Path.Combine(folder, "model.zip");
            ml.Model.Save(chain, Prompts.Schema(ml), zip);
            Console.WriteLine($"  saved {zip} ({new FileInfo(zip).Length / 1024} KB) after {progress.Iteration} iterations");

            clock.Restart();
            Console.WriteLine($"[4/4] Generating held-out prompts, re-captioning and scoring ({name})");
            var result = Evaluation.Run(ml, chain, s.Dataset, s.Seed, folder, writeGallery: true, judge: judge);
            result["iterations"] = progress.Iteration;
            result["lambda"] = lam;
            times[$"evaluate_{name}_s"] = clock.Elapsed.TotalSeconds;
            metrics[name] = result;
        }
        times["total_s"] = total.Elapsed.TotalSeconds;
        var report = new Dictionary<string, object>
        {
            ["dataset"] = s.Dataset, ["preset"] = presetName, ["seed"] = s.Seed, ["torch_threads"] = torch.get_num_threads(),
            ["device"] = device.ToString(), ["runs"] = metrics, ["wall_times"] = times,
        };
        if (diagnostics is not null) report["diagnostics"] = diagnostics;
        Evaluation.WriteJson(Path.Combine(s.Output, "metrics.json"), report);
        Console.WriteLine($"GC: {GC.CollectionCount(0)} gen0 / {GC.CollectionCount(2)} gen2 collections (most gen2 are the per-step TorchGcGuard regions that keep TorchSharp's Scalar race out of training).");
        Console.WriteLine($"Done in {total.Elapsed.TotalMinutes:F1} min. Open {Path.Combine(s.Output, "gallery.html")}; metrics in {Path.Combine(s.Output, "metrics.json")}.");
        return 0;
    }

    /// <summary>The Shapes text side the QuickStart ships, copied next to this program (made by <c>pretrain</c>; samples/QuickStart/pretrained/shapes/README.md).</summary>
    public static string ShippedShapesTextSide => Path.Combine(AppContext.BaseDirectory, "pretrained", "shapes");

    /// <summary>File names of a text-side folder.</summary>
    public const string TextEmbedFile = "text_embed.zip", CaptionerFile = "captioner.zip", JudgeFile = "judge_captioner.zip";

    /// <summary>
    /// The text side: loaded from <see cref="TrainSettings.Pretrained"/> when it holds one, else (Shapes, no
    /// <c>--fit-text-side</c>) from the shipped folder, else fitted with fixed epochs and saved into <c>--pretrained</c> or
    /// <c>--out/text-side</c>: a GAN checkpoint is only valid with the text side it was trained with, so <c>--resume</c>
    /// loads that folder instead of fitting a new (different) one. The judge is the independent captioner the evaluation
    /// reads generated images with (Shapes only).
    /// </summary>
    private static (TextEmbedTransformer, StreamCaptionerTransformer, StreamCaptionerTransformer?) Pretrain(MLContext ml, IDataView train, TrainSettings s,
        MirrorGanTrainerOptions options, Dictionary<string, double> times)
    {
        var clock = Stopwatch.StartNew();
        string folder = s.Pretrained ?? Path.Combine(s.Output, "text-side");
        if (!HasTextSide(folder) && s.Pretrained is null && !s.FitTextSide && s.Dataset == "shapes" && HasTextSide(ShippedShapesTextSide))
            folder = ShippedShapesTextSide;
        if (HasTextSide(folder) && (folder == ShippedShapesTextSide || s.Pretrained is not null || s.Resume))
        {
            var text = (TextEmbedTransformer)ml.Model.Load(Path.Combine(folder, TextEmbedFile), out _);
            var cap = (StreamCaptionerTransformer)ml.Model.Load(Path.Combine(folder, CaptionerFile), out _);
            string judgePath = Path.Combine(folder, JudgeFile);
            var judge = File.Exists(judgePath) ? (StreamCaptionerTransformer)ml.Model.Load(judgePath, out _) : null;
            Console.WriteLine($"[1-2/4] TextEmbed and StreamCaptioner loaded from '{folder}'{(judge is null ? "" : " (and the independent judge captioner)")}");
            times["pretrained_load_s"] = clock.Elapsed.TotalSeconds;
            return (text, cap, judge);
        }
        if (s.Resume)
            throw new ArgumentException($"--resume: '{folder}' has no {TextEmbedFile} and {CaptionerFile}, the text side the checkpoint was trained with. " +
                "Resume into the --out folder of an earlier main job (it saves them there), or pass that job's --pretrained folder.");
        var (fittedText, fittedCap) = Fit(ml, train, s, options, times);
        var fittedJudge = s.Dataset == "shapes" ? FitJudge(ml, s, times) : null;
        Save(ml, folder, fittedText, fittedCap, fittedJudge);
        return (fittedText, fittedCap, fittedJudge);
    }

    /// <summary>
    /// The <c>pretrain</c> verb: fits the Shapes text side (TextEmbed, the captioner the GAN trains against, the judge) with
    /// fixed epochs and saves it with its diagnostics (<c>pretrain.json</c>); the shipped folder is made by this command.
    /// </summary>
    public static int PretrainShapes(string folder, int seed, int stemEpochs, int streamEpochs, int threads)
    {
        var total = Stopwatch.StartNew();
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads > 0 ? threads : Math.Clamp(Environment.ProcessorCount, 1, 4));
        var s = new TrainSettings("shapes", null, "tiny", ShapesIterations, null, folder, "cpu", seed, null, threads, false, stemEpochs, streamEpochs, null);
        var ml = new MLContext(seed: seed);
        var times = new Dictionary<string, double>();
        var train = ml.Data.LoadMirrorGanShapes(ShapesSplit.Train(seed));
        var (text, cap) = Fit(ml, train, s, Presets.Trainer("tiny"), times);
        var judge = FitJudge(ml, s, times);
        Save(ml, folder, text, cap, judge);
        var diagnostics = Diagnostics.Run(text, cap, seed);
        diagnostics["judge_on_real"] = Diagnostics.CaptionerOnReal(judge, seed);
        times["total_s"] = total.Elapsed.TotalSeconds;
        Evaluation.WriteJson(Path.Combine(folder, "pretrain.json"), new Dictionary<string, object>
        {
            ["command"] = $"pretrain --out <folder> --seed {seed} --stem-epochs {stemEpochs} --stream-epochs {streamEpochs}",
            ["seed"] = seed, ["stem_epochs"] = stemEpochs, ["stream_epochs"] = streamEpochs, ["torch_threads"] = torch.get_num_threads(),
            ["wall_times"] = times, ["diagnostics"] = diagnostics,
        });
        Console.WriteLine($"  diagnostics: {System.Text.Json.JsonSerializer.Serialize(diagnostics)}");
        Console.WriteLine($"Saved the text side to '{Path.GetFullPath(folder)}' in {total.Elapsed.TotalMinutes:F1} min.");
        return 0;
    }

    private static bool HasTextSide(string folder) => File.Exists(Path.Combine(folder, TextEmbedFile)) && File.Exists(Path.Combine(folder, CaptionerFile));

    /// <summary>Saves a text side (and judge, when given) into <paramref name="folder"/>.</summary>
    public static void Save(MLContext ml, string folder, TextEmbedTransformer text, StreamCaptionerTransformer captioner, StreamCaptionerTransformer? judge)
    {
        Directory.CreateDirectory(folder);
        ml.Model.Save(text, null, Path.Combine(folder, TextEmbedFile));
        ml.Model.Save(captioner, null, Path.Combine(folder, CaptionerFile));
        if (judge is not null) ml.Model.Save(judge, null, Path.Combine(folder, JudgeFile));
    }

    /// <summary>
    /// The evaluation's independent captioner: other data seed, weights seed, trunk (64-px small CNN) and image side than the
    /// captioner the generator trains against, on the same training split (the held-out prompts and pairs stay unseen).
    /// </summary>
    public static StreamCaptionerTransformer FitJudge(MLContext ml, TrainSettings s, Dictionary<string, double> times)
    {
        var clock = Stopwatch.StartNew();
        var cap = StreamCaptionerOptions.Tiny();
        cap.Backbone = new SmallCnnBackboneOptions { InputSize = 64, Width = 16 };
        cap.ImageSize = 64;
        cap.Seed = s.Seed + 7919;
        cap.Device = s.Device;
        cap.Epochs = s.StreamEpochs;
        cap.Progress = new Throttled<StreamProgress>(p => $"judge captioner epoch {p.Epoch} step {p.Step} loss {p.Loss:F3} ({p.Elapsed.TotalSeconds:F0} s)");
        Console.WriteLine($"[2/4] Judge captioner for the evaluation ({cap.Epochs} epochs, independent of the one the GAN trains against)");
        var data = ml.Data.LoadMirrorGanShapes(ShapesSplit.Train(s.Seed + 7919));
        var judge = ml.Transforms.StreamCaptioner(cap).Fit(data);
        times["judge_captioner_s"] = clock.Elapsed.TotalSeconds;
        return judge;
    }

    private static (TextEmbedTransformer, StreamCaptionerTransformer) Fit(MLContext ml, IDataView train, TrainSettings s, MirrorGanTrainerOptions options, Dictionary<string, double> times)
    {
        var clock = Stopwatch.StartNew();
        var stem = options.TextEmbedOptions!;
        stem.Seed = s.Seed;
        stem.Device = s.Device;
        stem.MaxTrainingTime = null;
        stem.Epochs = s.StemEpochs;
        if (s.StemBackbone is { } backbone) stem.Backbone = ImageBackboneOptions.FromKind(backbone);
        if (s.StemImageSize is { } side) stem.ImageSize = side;
        if (s.StemBatchSize is { } stemBatch) stem.BatchSize = stemBatch;
        if (s.StemLearningRate is { } stemLr) stem.LearningRate = stemLr;
        if (s.StemDropout is { } dropout) stem.Dropout = dropout;
        if (s.StemGamma3 is { } gamma3) stem.Gamma3 = gamma3;
        stem.Progress = new Throttled<TextEmbedProgress>(p => $"TextEmbed epoch {p.Epoch} step {p.Step} loss {p.Loss:F3} ({p.Elapsed.TotalSeconds:F0} s)");
        Console.WriteLine($"[1/4] TextEmbed (STEM, DAMSM pretraining, {stem.Epochs} epochs)");
        var textEmbed = ml.Transforms.TextEmbed(stem).Fit(train);
        times["text_embed_s"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var cap = options.StreamCaptionerOptions!;
        cap.Seed = s.Seed;
        cap.Device = s.Device;
        cap.MaxTrainingTime = null;
        if (s.StreamBackbone is { } streamTrunk) cap.Backbone = ImageBackboneOptions.FromKind(streamTrunk);
        if (s.StreamImageSize is { } streamSide) cap.ImageSize = streamSide;
        cap.Epochs = s.StreamEpochs;
        cap.Progress = new Throttled<StreamProgress>(p => $"STREAM epoch {p.Epoch} step {p.Step} loss {p.Loss:F3} ({p.Elapsed.TotalSeconds:F0} s)");
        Console.WriteLine($"[2/4] StreamCaptioner (STREAM pretraining, {cap.Epochs} epochs)");
        var captioner = ml.Transforms.StreamCaptioner(cap, textEmbed.Vocabulary).Fit(train);
        times["stream_captioner_s"] = clock.Elapsed.TotalSeconds;
        return (textEmbed, captioner);
    }
}

/// <summary>Prints the GAN's progress as it comes (on the training thread) and keeps the last iteration reported.</summary>
internal sealed class GanProgress : IProgress<MirrorGanProgress>
{
    public int Iteration { get; private set; }

    public void Report(MirrorGanProgress value)
    {
        Iteration = value.Iteration;
        Console.WriteLine($"  GAN {value}");
    }
}

/// <summary>Prints every report that comes at least 10 s after the previous one.</summary>
internal sealed class Throttled<T> : IProgress<T>
{
    private readonly Func<T, string> _format;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.FromSeconds(-100);

    public Throttled(Func<T, string> format) => _format = format;

    public void Report(T value)
    {
        if (_clock.Elapsed - _last < TimeSpan.FromSeconds(10)) return;
        _last = _clock.Elapsed;
        Console.WriteLine("  " + _format(value));
    }
}
