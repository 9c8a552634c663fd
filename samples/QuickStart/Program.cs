// The README's main job (MainJob.cs, top to bottom): train MirrorGAN on built-in Shapes or Fashion-MNIST, save model.zip,
// then generate, re-caption and score the held-out prompts. The verbs on a saved model (generate, caption, evaluate), the
// experiment switches and the pretrain verb are in test/Microsoft.ML.MirrorGan.Experiments. --help lists the options.
using System.CommandLine;
using System.Globalization;
using Microsoft.ML.MirrorGan.QuickStart;

var root = new RootCommand("MirrorGAN QuickStart: train on built-in Shapes (default) or Fashion-MNIST, save model.zip, generate, re-caption, score.");
var dataset = new Option<string>("--dataset") { Description = "shapes | fashion-mnist", DefaultValueFactory = _ => "shapes" };
var iterations = new Option<int?>("--iterations") { Description = $"GAN iterations: a fixed budget, so a seed gives the same model on any host (default: shapes {MainJob.ShapesIterations}, fashion-mnist {MainJob.FashionIterations}, which fit the 10-minute job on a quiet 2-core machine)" };
var output = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => "mirrorgan-output" };
var device = new Option<string>("--device") { Description = "auto | cpu | cuda:N", DefaultValueFactory = _ => "auto" };
var seed = new Option<int>("--seed") { Description = "Seed of data, weights and generation", DefaultValueFactory = _ => 1 };
var threads = new Option<int>("--threads") { Description = "Torch intra-op threads for training; 0: one per core, at most 4 (2 cores: 1.44x the GAN images/s of 1 thread when the machine is otherwise idle; use 1 on a machine busy with other work)", DefaultValueFactory = _ => 0 };
dataset.AcceptOnlyFromAmong("shapes", "fashion-mnist");
Range(iterations, 1, 1e9);
Range(threads, 0, 64);
foreach (var o in new Option[] { dataset, iterations, output, device, seed, threads }) root.Options.Add(o);
root.SetAction(r => MainJob.Run(r.GetValue(dataset)!, r.GetValue(iterations), r.GetValue(output)!, r.GetValue(device)!, r.GetValue(seed), r.GetValue(threads)));

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

// Checked before anything runs: one line naming the setting, the value and the allowed range.
static void Range<T>(Option<T> option, double min, double max) => option.Validators.Add(result =>
{
    if (result.GetValueOrDefault<T>() is { } value && Convert.ToDouble(value, CultureInfo.InvariantCulture) is var v && !(v >= min && v <= max))
        result.AddError(FormattableString.Invariant($"{option.Name} is {v}; it must be {min} to {max}."));
});
