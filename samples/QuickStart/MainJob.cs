using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.QuickStart;

/// <summary>The main job, top to bottom: data → text side (loaded or fitted) → MirrorGan Fit → model.zip → held-out scores.</summary>
internal static class MainJob
{
    /// <summary>GAN iterations: Shapes loads its text side, so the GAN has the whole budget; Fashion-MNIST fits its own first.</summary>
    public const int ShapesIterations = 4200, FashionIterations = 1400;

    public static int Run(string dataset, int? iterations, string output, string device, int seed, int threads)
    {
        var total = Stopwatch.StartNew();
        TorchRuntime.EnsureLoaded();
        // Training batches are large enough for intra-op threads to pay on an idle machine; beyond 4 the small convolutions stop scaling.
        torch.set_num_threads(threads > 0 ? threads : Math.Clamp(Environment.ProcessorCount, 1, 4));
        var resolved = TorchRuntime.ResolveDevice(device);
        Directory.CreateDirectory(output);
        Console.WriteLine($"MirrorGAN QuickStart: {dataset}, device {resolved}, torch threads {torch.get_num_threads()}, output '{Path.GetFullPath(output)}'");
        Console.WriteLine(TorchRuntime.CpuConvolutions);
        var ml = new MLContext(seed);
        // The estimators and the evaluation report their progress on MLContext.Log.
        ml.Log += (_, e) =>
        {
            var line = Regex.Match(e.Message, "(MirrorGan: |TextEmbed DAMSM epoch|STREAM pretraining).*");
            if (e.Kind >= ChannelMessageKind.Info && line.Success) Console.WriteLine($"  [{total.Elapsed:mm\\:ss}] {line.Value}");
        };

        // 1. Data. Shapes: 4,000 scenes × 2 captions that never show the 120 held-out prompts, a purple triangle or an orange square.
        var (clock, times) = (Stopwatch.StartNew(), new Dictionary<string, double>());
        bool shapes = dataset == "shapes";
        var train = shapes ? ml.Data.LoadMirrorGanShapes(ShapesSplit.Train(seed))
            : ml.Data.LoadFashionMnist(new FashionMnistOptions { ImageSize = 64, MaxImages = 6000, CaptionsPerImage = 2, Seed = seed });
        Lap("data_s");
        var options = MirrorGanTrainerOptions.Tiny();
        (options.Device, options.Seed, options.Iterations) = (device, seed, iterations ?? (shapes ? ShapesIterations : FashionIterations));
        // Shapes at batch 8, not 16: the same images in twice the updates drew the held-out shapes right about twice as
        // often (docs/experiments/2026-12-08-shapes-batch-size.md).
        if (shapes) options.BatchSize = 8;

        // 2. The text side, frozen while the GAN trains: TextEmbed (STEM) and the captioner (STREAM). Shapes loads the shipped
        // one (pretrained/shapes/README.md), with the judge captioner the evaluation reads the generated images with.
        TextEmbedTransformer text;
        StreamCaptionerTransformer captioner;
        StreamCaptionerTransformer? judge = null;
        if (shapes)
        {
            T Load<T>(string file) => (T)ml.Model.Load(Path.Combine(AppContext.BaseDirectory, "pretrained", "shapes", file), out _);
            (text, captioner, judge) = (Load<TextEmbedTransformer>("text_embed.zip"), Load<StreamCaptionerTransformer>("captioner.zip"), Load<StreamCaptionerTransformer>("judge_captioner.zip"));
            Lap("pretrained_load_s");
        }
        else
        {
            // Fashion-MNIST fits its own (the tiny preset's, for fixed epochs) and keeps it in text-side/.
            var (stem, cap) = (options.TextEmbedOptions!, options.StreamCaptionerOptions!);
            (stem.Seed, stem.Device, stem.MaxTrainingTime, stem.Epochs) = (seed, device, null, 6);
            (cap.Seed, cap.Device, cap.MaxTrainingTime, cap.Epochs) = (seed, device, null, 7);
            text = ml.Transforms.TextEmbed(stem).Fit(train);
            Lap("text_embed_s");
            captioner = ml.Transforms.StreamCaptioner(cap, text.Vocabulary).Fit(train);
            Lap("stream_captioner_s");
            Directory.CreateDirectory(Path.Combine(output, "text-side"));
            ml.Model.Save(text, null, Path.Combine(output, "text-side", "text_embed.zip"));
            ml.Model.Save(captioner, null, Path.Combine(output, "text-side", "captioner.zip"));
        }

        // 3. The pipeline: MirrorGan trains against the frozen text side and returns the chain TextEmbed → MirrorGan →
        // StreamCaptioner, which maps a caption (and a noise seed) to an image and its re-caption.
        clock.Restart();
        (options.SampleFolder, options.CheckpointFolder) = (Path.Combine(output, "samples"), Path.Combine(output, "checkpoint"));
        var chain = ml.Transforms.MirrorGan(options, text, captioner).Fit(train);
        Lap("gan_default_s");
        ml.Model.Save(chain, ml.Data.LoadFromEnumerable(new[] { new Prompt("", 0) }).Schema, Path.Combine(output, "model.zip"));

        // 4. Evaluate: generate the held-out prompts (prompt i with seed N + i), re-caption and score them; write the gallery.
        clock.Restart();
        var evaluation = new HeldOutEvaluationOptions { Seed = seed, Judge = judge, GalleryFolder = output };
        var scores = shapes ? HeldOutEvaluation.Shapes(ml, chain, evaluation) : HeldOutEvaluation.FashionMnist(ml, chain, evaluation);
        var run = scores.ToDictionary(s => s.Key, s => (object)s.Value);
        (run["iterations"], run["lambda"]) = (options.Iterations, options.StreamWeight);
        Lap("evaluate_default_s");
        times["total_s"] = total.Elapsed.TotalSeconds;
        var metrics = new Dictionary<string, object>
        {
            ["dataset"] = dataset, ["preset"] = "tiny", ["seed"] = seed, ["torch_threads"] = torch.get_num_threads(), ["device"] = resolved.ToString(),
            ["runs"] = new Dictionary<string, object> { ["default"] = run }, ["wall_times"] = times,
        };
        File.WriteAllText(Path.Combine(output, "metrics.json"), JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Done in {total.Elapsed.TotalMinutes:F1} min. Open {Path.Combine(output, "gallery.html")}; metrics in {Path.Combine(output, "metrics.json")}.");
        return 0;

        void Lap(string phase)
        {
            times[phase] = clock.Elapsed.TotalSeconds;
            clock.Restart();
        }
    }
}

/// <summary>An input row of the saved chain: a caption and the seed of its noise draw.</summary>
internal sealed record Prompt(string Caption, int Seed);
