using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Captioning;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Stem;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.QuickStart;

/// <summary>Command-line settings of the main job.</summary>
internal sealed record TrainSettings(string Dataset, string? DataPath, string? Preset, int? Iterations, double GanMinutes, string Output,
    string Device, int Seed, double? Lambda, int Threads, bool Ablation, int StemSeconds, int StreamSeconds, int? BatchSize)
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
}

/// <summary>The main job: data → TextEmbed → StreamCaptioner → MirrorGan → model.zip → generate, re-caption, evaluate.</summary>
internal static class TrainJob
{
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
        Console.WriteLine($"MirrorGAN QuickStart: dataset {s.Dataset}, device {device}, torch threads {torch.get_num_threads()}, output '{Path.GetFullPath(s.Output)}'");
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
        if (s.InitAttention is { } ia) options.Network = options.Network with { InitStageAttention = ia };
        if (s.GeneratorDim is { } gf) options.Network = options.Network with { GeneratorDim = gf };
        if (s.LearningRate is { } lr) { options.GeneratorLearningRate = lr; options.DiscriminatorLearningRate = lr; }
        if (s.DiscriminatorLearningRate is { } dLr) options.DiscriminatorLearningRate = dLr;
        if (s.EmaBatchNormBatches is { } bn) options.EmaBatchNormBatches = bn;
        if (s.EmaDecay is { } decay) options.EmaDecay = decay;
        options.Resume = s.Resume;

        var (textEmbed, captioner) = Pretrain(ml, train, s, options, times);
        var diagnostics = s.Diagnose ? Diagnostics.Run(textEmbed, captioner, s.Seed) : null;
        if (diagnostics is not null) Console.WriteLine($"  diagnostics: {System.Text.Json.JsonSerializer.Serialize(diagnostics)}");

        options.TextEmbed = textEmbed;
        options.StreamCaptioner = captioner;
        options.Iterations = s.Iterations ?? 1_000_000;
        options.MaxTrainingTime = TimeSpan.FromMinutes(s.GanMinutes);
        options.SampleFolder = Path.Combine(s.Output, "samples");
        options.CheckpointFolder = Path.Combine(s.Output, "checkpoint");
        options.Columns = new MirrorGanColumns { Seed = "Seed" };
        options.Progress = new Progress<MirrorGanProgress>(p => Console.WriteLine($"  GAN {p}"));

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
            Console.WriteLine($"[3/4] MirrorGan (GLAM, λ = {lam}, ≤ {s.GanMinutes:F1} min{(s.Iterations is { } it ? $" or {it} iterations" : "")}); sample grids in '{options.SampleFolder}'");
            var trainer = ml.Transforms.MirrorGan(options);
            var generator = trainer.Fit(train);
            times[$"gan_{name}_s"] = clock.Elapsed.TotalSeconds;
            var chain = trainer.Chain(generator);
            string zip = Path.Combine(folder, "model.zip");
            ml.Model.Save(chain, Prompts.Schema(ml), zip);
            Console.WriteLine($"  saved {zip} ({new FileInfo(zip).Length / 1024} KB) after {trainer.CompletedIterations} iterations");

            clock.Restart();
            Console.WriteLine($"[4/4] Generating held-out prompts, re-captioning and scoring ({name})");
            var result = Evaluation.Run(ml, chain, s.Dataset, s.Seed, folder, writeGallery: true);
            result["iterations"] = trainer.CompletedIterations;
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

    /// <summary>
    /// Fits TextEmbed and the captioner, or loads them from <see cref="TrainSettings.Pretrained"/> when it holds them. Fitted
    /// ones are saved there, or into <c>--out/text-side</c>: a GAN checkpoint is only valid with the text side it was trained
    /// with, so <c>--resume</c> loads that folder instead of fitting a new (different) one.
    /// </summary>
    private static (TextEmbedTransformer, StreamCaptionerTransformer) Pretrain(MLContext ml, IDataView train, TrainSettings s, MirrorGanTrainerOptions options, Dictionary<string, double> times)
    {
        var clock = Stopwatch.StartNew();
        string folder = s.Pretrained ?? Path.Combine(s.Output, "text-side");
        string textPath = Path.Combine(folder, "text_embed.zip"), capPath = Path.Combine(folder, "captioner.zip");
        bool saved = File.Exists(textPath) && File.Exists(capPath);
        if (saved && (s.Pretrained is not null || s.Resume))
        {
            var text = (TextEmbedTransformer)ml.Model.Load(textPath, out _);
            var cap = (StreamCaptionerTransformer)ml.Model.Load(capPath, out _);
            Console.WriteLine($"[1-2/4] TextEmbed and StreamCaptioner loaded from '{folder}'");
            times["pretrained_load_s"] = clock.Elapsed.TotalSeconds;
            return (text, cap);
        }
        if (s.Resume)
            throw new ArgumentException($"--resume: '{folder}' has no text_embed.zip and captioner.zip, the text side the checkpoint was trained with. " +
                "Resume into the --out folder of an earlier main job (it saves them there), or pass that job's --pretrained folder.");
        var (fittedText, fittedCap) = Fit(ml, train, s, options, times);
        Directory.CreateDirectory(folder);
        ml.Model.Save(fittedText, null, textPath);
        ml.Model.Save(fittedCap, null, capPath);
        return (fittedText, fittedCap);
    }

    private static (TextEmbedTransformer, StreamCaptionerTransformer) Fit(MLContext ml, IDataView train, TrainSettings s, MirrorGanTrainerOptions options, Dictionary<string, double> times)
    {
        var clock = Stopwatch.StartNew();
        var stem = options.TextEmbedOptions!;
        stem.Seed = s.Seed;
        stem.Device = s.Device;
        stem.MaxTrainingTime = TimeSpan.FromSeconds(s.StemSeconds);
        stem.Epochs = 100;
        if (s.StemBackbone is { } backbone) stem.Backbone = backbone;
        if (s.StemImageSize is { } side) stem.ImageSize = side;
        if (s.StemBatchSize is { } stemBatch) stem.BatchSize = stemBatch;
        if (s.StemLearningRate is { } stemLr) stem.LearningRate = stemLr;
        if (s.StemDropout is { } dropout) stem.Dropout = dropout;
        if (s.StemGamma3 is { } gamma3) stem.Gamma3 = gamma3;
        stem.Progress = new Throttled<TextEmbedProgress>(p => $"TextEmbed epoch {p.Epoch} step {p.Step} loss {p.Loss:F3} ({p.Elapsed.TotalSeconds:F0} s)");
        Console.WriteLine($"[1/4] TextEmbed (STEM, DAMSM pretraining, ≤ {stem.MaxTrainingTime.Value.TotalSeconds:F0} s)");
        var textEmbed = ml.Transforms.TextEmbed(stem).Fit(train);
        times["text_embed_s"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var cap = options.StreamCaptionerOptions!;
        cap.Vocabulary = textEmbed.Vocabulary;
        cap.Seed = s.Seed;
        cap.Device = s.Device;
        cap.MaxTrainingTime = TimeSpan.FromSeconds(s.StreamSeconds);
        if (s.StreamBackbone is { } streamTrunk) cap.Backbone = streamTrunk;
        if (s.StreamImageSize is { } streamSide) cap.ImageSize = streamSide;
        cap.Epochs = 100;
        cap.Progress = new Throttled<StreamProgress>(p => $"STREAM epoch {p.Epoch} step {p.Step} loss {p.Loss:F3} ({p.Elapsed.TotalSeconds:F0} s)");
        Console.WriteLine($"[2/4] StreamCaptioner (STREAM pretraining, ≤ {cap.MaxTrainingTime.Value.TotalSeconds:F0} s)");
        var captioner = ml.Transforms.StreamCaptioner(cap).Fit(train);
        times["stream_captioner_s"] = clock.Elapsed.TotalSeconds;
        return (textEmbed, captioner);
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
