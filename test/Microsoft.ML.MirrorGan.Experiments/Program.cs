// The main job with every experiment switch: other datasets and presets (cub, coco), λ, network, learning-rate, EMA and
// text-side settings, a λ = 0 ablation, text-side diagnostics, a fixed text side to compare GAN settings on, and resume.
// Verbs: pretrain (makes the Shapes text side the QuickStart ships), and generate, caption and evaluate on a saved model.
// With no switches it is the QuickStart's main job (samples/QuickStart); run with --help for every option.
using System.CommandLine;
using Microsoft.ML.MirrorGan.Experiments;

var root = new RootCommand("MirrorGAN experiments: the main job with every switch (default: the QuickStart's Shapes job), the pretrain verb of the shipped text side, and the verbs on a saved model.");
var dataset = new Option<string>("--dataset") { Description = "shapes | fashion-mnist | cub | coco", DefaultValueFactory = _ => "shapes" };
dataset.AcceptOnlyFromAmong("shapes", "fashion-mnist", "cub", "coco");
var dataPath = new Option<string?>("--data-path") { Description = "Root folder of CUB (data/birds) or COCO (data/coco); not needed for shapes and fashion-mnist." };
var preset = new Option<string?>("--preset") { Description = "tiny | cub | coco (default: tiny for shapes/fashion-mnist, cub/coco for those datasets)" };
var iterations = new Option<int?>("--iterations") { Description = $"GAN iterations: a fixed budget, so a seed gives the same model on any host (default: shapes {TrainJob.ShapesIterations}, fashion-mnist {TrainJob.FashionIterations}, which fit the 10-minute job on a quiet 2-core machine; cub/coco: the preset's)" };
var ganMinutes = new Option<double?>("--gan-minutes") { Description = "Optional wall-clock cap of the GAN stage: stops before --iterations when reached (the model then depends on the host's speed)" };
var output = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => "mirrorgan-output" };
var device = new Option<string>("--device") { Description = "auto | cpu | cuda:N", DefaultValueFactory = _ => "auto" };
var seed = new Option<int>("--seed") { Description = "Seed of data, weights and generation", DefaultValueFactory = _ => 1 };
var lambda = new Option<double?>("--lambda") { Description = "STREAM loss weight λ (default: the preset's, 20)" };
var threads = new Option<int>("--threads") { Description = "Torch intra-op threads for training; 0: one per core, at most 4 (2 cores: 1.44x the GAN images/s of 1 thread when the machine is otherwise idle; use 1 on a machine busy with other work)", DefaultValueFactory = _ => 0 };
var stemEpochs = new Option<int>("--stem-epochs") { Description = "Epochs of TextEmbed's DAMSM pretraining when the text side is fitted in the job", DefaultValueFactory = _ => TrainJob.DefaultStemEpochs };
var streamEpochs = new Option<int>("--stream-epochs") { Description = "Epochs of StreamCaptioner pretraining when the text side is fitted in the job", DefaultValueFactory = _ => TrainJob.DefaultStreamEpochs };
var batchSize = new Option<int?>("--batch-size") { Description = $"GAN batch size (default: shapes {TrainJob.ShapesBatchSize}; otherwise the preset's)" };
var ablation = new Option<bool>("--ablation") { Description = "Also train λ = 0 with the same budget and report both (doubles the GAN time)" };
var diagnose = new Option<bool>("--diagnose") { Description = "Also measure whether the frozen TextEmbed tells captions apart per attribute and how the captioner does on real images (metrics.json 'diagnostics')" };
var fitTextSide = new Option<bool>("--fit-text-side") { Description = "Fit TextEmbed and the captioners in the job (--stem-epochs, --stream-epochs) instead of loading the shipped Shapes text side" };
var pretrained = new Option<string?>("--pretrained") { Description = "Folder for the fitted TextEmbed and StreamCaptioner: loaded when present, else fitted and saved there (fixed text side for comparing GAN settings)" };
var initAttention = new Option<bool?>("--init-attention") { Description = "Word attention + residual block at 16 px in the first stage (default: the preset's: on for tiny, off for cub/coco)" };
var gf = new Option<int?>("--gf") { Description = "Generator channels GF_DIM (default: the preset's)" };
var lr = new Option<double?>("--lr") { Description = "Adam learning rate of G and D (default: the preset's)" };
var stemBackbone = new Option<string?>("--stem-backbone") { Description = "DAMSM image trunk of TextEmbed, e.g. small-cnn:64:16:flat (default: the preset's)" };
var streamBackbone = new Option<string?>("--stream-backbone") { Description = "StreamCaptioner's CNN trunk, e.g. small-cnn:64:16 (default: the preset's, small-cnn:32:16)" };
var streamImageSize = new Option<int?>("--stream-image-size") { Description = "Image side StreamCaptioner reads (default: the preset's, 32)" };
var dLr = new Option<double?>("--d-lr") { Description = "Adam learning rate of every D only (after --lr; default: the preset's)" };
var stemLr = new Option<double?>("--stem-lr") { Description = "TextEmbed's DAMSM learning rate (default: the preset's, 2e-3)" };
var stemBatch = new Option<int?>("--stem-batch-size") { Description = "TextEmbed's DAMSM batch size (default: the preset's)" };
var stemImageSize = new Option<int?>("--stem-image-size") { Description = "Image side TextEmbed's DAMSM pretraining reads (default: the preset's, 64)" };
var resume = new Option<bool>("--resume") { Description = "Continue the GAN from --out's checkpoint up to --iterations in all, with the text side saved in --out/text-side (or --pretrained)" };
var emaBn = new Option<int?>("--ema-bn-batches") { Description = "Batches that re-estimate the EMA generator's BatchNorm statistics after training (default: the preset's; 0: keep the live G's, as the original)" };
var emaDecay = new Option<double?>("--ema-decay") { Description = "Decay of the EMA of G's weights (default: the preset's)" };
var stemDropout = new Option<double?>("--stem-dropout") { Description = "Dropout on TextEmbed's word embeddings during DAMSM pretraining (default: the preset's, 0.5)" };
var stemGamma3 = new Option<double?>("--stem-gamma3") { Description = "DAMSM sentence-loss sharpness γ3 (default: the preset's, 10)" };
// Range checks before anything runs: one line naming the setting, the value and the allowed range.
Range(iterations, 1, 1e9);
Range(ganMinutes, 0.01, 1e5);
Range(lambda, 0, 1e6);
Range(threads, 0, 64);
Range(stemEpochs, 1, 100_000);
Range(streamEpochs, 1, 100_000);
Range(batchSize, 1, 4096);
Range(gf, 1, 1024);
Range(lr, 1e-8, 1);
Range(dLr, 1e-8, 1);
Range(stemLr, 1e-8, 1);
Range(stemBatch, 2, 4096);
Range(stemImageSize, 16, 1024);
Range(streamImageSize, 16, 1024);
Range(emaBn, 0, 1_000_000);
Range(emaDecay, 0, 1);
Range(stemDropout, 0, 0.99);
Range(stemGamma3, 1e-3, 1e3);
dataset.AcceptOnlyFromAmong("shapes", "fashion-mnist", "cub", "coco");
preset.AcceptOnlyFromAmong("tiny", "cub", "coco");

foreach (var o in new Option[] { fitTextSide, stemDropout, stemGamma3, resume, emaBn, emaDecay, dataset, dataPath, preset, iterations, ganMinutes, output, device, seed, lambda, threads, stemEpochs, streamEpochs, batchSize, ablation, diagnose, pretrained, initAttention, gf, lr, stemBackbone, stemImageSize, stemBatch, stemLr, dLr, streamBackbone, streamImageSize }) root.Options.Add(o);
root.SetAction(r => TrainJob.Run(new TrainSettings(
    r.GetValue(dataset)!, r.GetValue(dataPath), r.GetValue(preset), TrainJob.Iterations(r.GetValue(dataset)!, r.GetValue(preset), r.GetValue(iterations)), r.GetValue(ganMinutes), r.GetValue(output)!,
    r.GetValue(device)!, r.GetValue(seed), r.GetValue(lambda), r.GetValue(threads), r.GetValue(ablation), r.GetValue(stemEpochs), r.GetValue(streamEpochs), r.GetValue(batchSize))
{
    Diagnose = r.GetValue(diagnose), Pretrained = r.GetValue(pretrained), InitAttention = r.GetValue(initAttention), GeneratorDim = r.GetValue(gf), LearningRate = r.GetValue(lr),
    StemBackbone = r.GetValue(stemBackbone), StemImageSize = r.GetValue(stemImageSize), StemBatchSize = r.GetValue(stemBatch), StemLearningRate = r.GetValue(stemLr), DiscriminatorLearningRate = r.GetValue(dLr),
    StreamBackbone = r.GetValue(streamBackbone), StreamImageSize = r.GetValue(streamImageSize),
    Resume = r.GetValue(resume), EmaBatchNormBatches = r.GetValue(emaBn), EmaDecay = r.GetValue(emaDecay),
    StemDropout = r.GetValue(stemDropout), StemGamma3 = r.GetValue(stemGamma3), FitTextSide = r.GetValue(fitTextSide),
}));

var pretrainOut = new Option<string>("--out") { Description = "Folder for text_embed.zip, captioner.zip, judge_captioner.zip and pretrain.json", Required = true };
var pretrainSeed = new Option<int>("--seed") { Description = "Seed of the Shapes training scenes and the weights", DefaultValueFactory = _ => 1 };
var pretrainStem = new Option<int>("--stem-epochs") { Description = "TextEmbed DAMSM epochs", DefaultValueFactory = _ => TrainJob.ShippedStemEpochs };
var pretrainStream = new Option<int>("--stream-epochs") { Description = "Epochs of each captioner", DefaultValueFactory = _ => TrainJob.ShippedStreamEpochs };
var pretrainThreads = new Option<int>("--threads") { Description = "Torch intra-op threads; 0: one per core, at most 4", DefaultValueFactory = _ => 0 };
Range(pretrainStem, 1, 100_000);
Range(pretrainStream, 1, 100_000);
Range(pretrainThreads, 0, 64);
var pretrainCommand = new Command("pretrain", "Fit the Shapes text side (TextEmbed, the STREAM captioner, the evaluation's judge captioner) with fixed epochs; the shipped one is made by this command.");
foreach (var o in new Option[] { pretrainOut, pretrainSeed, pretrainStem, pretrainStream, pretrainThreads }) pretrainCommand.Options.Add(o);
pretrainCommand.SetAction(r => TrainJob.PretrainShapes(r.GetValue(pretrainOut)!, r.GetValue(pretrainSeed), r.GetValue(pretrainStem), r.GetValue(pretrainStream), r.GetValue(pretrainThreads)));
root.Subcommands.Add(pretrainCommand);

// The verbs run torch with 1 intra-op thread unless told otherwise, like the main job: libtorch's default (one per core)
// made the evaluate verb ~5x slower on the shared 2-core machine (docs/performance.md, "cheap wins").
var verbThreads = new Option<int>("--threads") { Description = "Torch intra-op threads (1 is fastest on a busy 2-core machine)", DefaultValueFactory = _ => 1 };
Range(verbThreads, 1, 64);
int Threads(ParseResult r)
{
    TorchSharp.torch.set_num_threads(Math.Max(1, r.GetValue(verbThreads)));
    return 0;
}
var model = new Option<string>("--model") { Description = "A model.zip saved by the main job", Required = true };
var prompts = new Option<string>("--prompts") { Description = "Text file, one caption per line", Required = true };
var genSeed = new Option<int>("--seed") { Description = "Noise seed N: line i (0-based) is drawn with seed N + i", DefaultValueFactory = _ => 0 };
var genOut = new Option<string>("--out") { Description = "Output folder for <line index>.png", Required = true };
var generate = new Command("generate", "Generate one PNG per prompt line (DIR/<0-based line index>.png, final resolution).");
foreach (var o in new Option[] { model, prompts, genSeed, genOut, verbThreads }) generate.Options.Add(o);
generate.SetAction(r => Threads(r) + GenerateVerb.Run(r.GetValue(model)!, r.GetValue(prompts)!, r.GetValue(genSeed), r.GetValue(genOut)!));
root.Subcommands.Add(generate);

var capModel = new Option<string>("--model") { Description = "A model.zip saved by the main job", Required = true };
var images = new Option<string>("--images") { Description = "Folder of images (png/jpg)", Required = true };
var caption = new Command("caption", "Caption every image of a folder; prints file<TAB>caption lines.");
caption.Options.Add(capModel);
caption.Options.Add(images);
caption.Options.Add(verbThreads);
caption.SetAction(r => Threads(r) + CaptionVerb.Run(r.GetValue(capModel)!, r.GetValue(images)!));
root.Subcommands.Add(caption);

var evalModel = new Option<string>("--model") { Description = "A model.zip saved by the main job", Required = true };
var evalDataset = new Option<string>("--dataset") { Description = "shapes (120 held-out prompts and the held-out colour–shape pairs) | fashion-mnist (300 test captions)", DefaultValueFactory = _ => "shapes" };
evalDataset.AcceptOnlyFromAmong("shapes", "fashion-mnist");
var evalOut = new Option<string>("--out") { Description = "Where to write metrics.json", DefaultValueFactory = _ => "metrics.json" };
var evalSeed = new Option<int>("--seed") { Description = "Seed of the generated images", DefaultValueFactory = _ => 1 };
var evalFeatures = new Option<string>("--features") { Description = "FID feature network: resnet18 (ImageNet ResNet-18, 512-d pool) | damsm | none | PATH.onnx (ImageNet-normalised input)", DefaultValueFactory = _ => "resnet18" };
var evalClassifier = new Option<string?>("--classifier") { Description = "ONNX classifier for the Inception Score (e.g. an exported Inception-v3); fashion-mnist defaults to the built-in classifier" };
var evalNorm = new Option<string>("--classifier-normalization") { Description = "Input scaling of --classifier: minus-one-to-one | zero-to-one | imagenet | zero-to-255", DefaultValueFactory = _ => "minus-one-to-one" };
var evalFashion = new Option<string?>("--fashion-classifier") { Description = "Built-in Fashion-MNIST classifier zip (trained once, ≤ 3 min, when missing; default next to the model)" };
var evaluate = new Command("evaluate", "Generate for held-out prompts and write the metrics JSON (R-precision, Shapes accuracy, IS, FID, BLEU).");
foreach (var o in new Option[] { evalModel, evalDataset, evalOut, evalSeed, evalFeatures, evalClassifier, evalNorm, evalFashion, verbThreads }) evaluate.Options.Add(o);
evaluate.SetAction(r => Threads(r) + EvaluateVerb.Run(new EvaluateVerb.Settings(r.GetValue(evalModel)!, r.GetValue(evalOut)!, r.GetValue(evalSeed), r.GetValue(evalDataset)!,
    r.GetValue(evalFeatures)!, r.GetValue(evalClassifier), r.GetValue(evalNorm)!, r.GetValue(evalFashion))));
root.Subcommands.Add(evaluate);

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
{
    // Usage and data problems: the message says what and how to fix it; a stack trace would only hide it.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static void Range<T>(Option<T> option, double min, double max)
{
    option.Validators.Add(result =>
    {
        object? value = result.GetValueOrDefault<T>();
        if (value is null) return;
        double v = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        if (!(v >= min && v <= max))
            result.AddError(FormattableString.Invariant($"{option.Name} is {v}; it must be {min} to {max}."));
    });
}
