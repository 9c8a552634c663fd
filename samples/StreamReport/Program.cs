// STREAM captioner report: pretrains on Shapes or Fashion-MNIST within a CPU time budget and prints held-out
// caption accuracy and corpus BLEU-1..4.
//   dotnet run --project samples/StreamReport -c Release -- shapes [seconds]
//   dotnet run --project samples/StreamReport -c Release -- fashion [seconds]
using Microsoft.ML.MirrorGan.Backbones;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.Text;
using System.CommandLine;
using TorchSharp;

var datasetArgument = new Argument<string>("dataset") { Description = "shapes | fashion (default shapes)", DefaultValueFactory = _ => "shapes", Arity = ArgumentArity.ZeroOrOne };
datasetArgument.AcceptOnlyFromAmong("shapes", "fashion");
var secondsArgument = new Argument<int>("seconds") { Description = "Training budget in seconds (1 to 86,400; default 290)", DefaultValueFactory = _ => 290, Arity = ArgumentArity.ZeroOrOne };
secondsArgument.Validators.Add(r =>
{
    int v = r.GetValueOrDefault<int>();
    if (v is < 1 or > 86_400) r.AddError($"seconds is {v}; it must be 1 to 86,400.");
});
var command = new RootCommand("STREAM captioner report: pretrains on Shapes or Fashion-MNIST within a time budget and prints held-out caption accuracy and BLEU-1..4.");
command.Arguments.Add(datasetArgument);
command.Arguments.Add(secondsArgument);
string which = "shapes";
int seconds = 290;
command.SetAction(r =>
{
    which = r.GetValue(datasetArgument)!;
    seconds = r.GetValue(secondsArgument);
    return -1; // parsed: run below
});
int parsed = command.Parse(args).Invoke();
if (parsed != -1) return parsed; // --help (0) or a bad argument (1)
var ml = new MLContext(seed: 1);
ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.Contains("StreamCaptioner", StringComparison.Ordinal)) Console.WriteLine(e.Message); };
var options = new StreamCaptionerOptions
{
    ImageSize = 64,
    Backbone = ImageBackboneOptions.FromKind(Environment.GetEnvironmentVariable("STREAM_BACKBONE") ?? "small-cnn:32:16"), // 32 px keeps position, size, shape, colour
    EmbedSize = 128,
    HiddenSize = 256,
    MaxWords = 16,
    BatchSize = 32,
    BatchNormMomentum = 0.1, // a few hundred steps: 0.01 would leave eval-mode statistics behind the weights
    Epochs = 100,
    LearningRate = 3e-3,
    MaxTrainingTime = TimeSpan.FromSeconds(seconds),
    ReportEvery = 25,
    Seed = 1,
};
Console.WriteLine($"torch threads {torch.get_num_threads()}, {Environment.ProcessorCount} logical CPUs; budget {seconds} s; " +
    $"backbone {options.Backbone}, embed {options.EmbedSize}, hidden {options.HiddenSize}, batch {options.BatchSize}, lr {options.LearningRate}");
return which == "shapes" ? Shapes() : Fashion();

int Shapes()
{
    const int train = 6000, test = 500;
    // One caption per image: the first is the canonical full description (every attribute stated); the other
    // templates leave attributes out, and a greedy captioner trained on the mixture picks the shortest mode.
    var trainData = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = train, Seed = 7, CaptionsPerImage = 1 });
    var clock = Stopwatch.StartNew();
    var model = ml.Transforms.StreamCaptioner(options).Fit(trainData);
    Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F0} s on {train} images × 1 canonical caption");
    var set = new ShapesDataset(new ShapesOptions { ImageSize = 64, Count = test, StartIndex = train, Seed = 7, CaptionsPerImage = 5 });
    var scenes = set.Scenes.ToArray();
    var captions = Caption(model, scenes.Select(set.RenderChw).ToArray());
    var acc = ShapesCaptionAccuracy.Score(captions, scenes);
    Console.WriteLine($"held-out Shapes ({test} images, unseen indices): colour {acc.Color:P1}, shape {acc.Shape:P1}, position {acc.Position:P1}, size {acc.Size:P1}, all four {acc.All:P1}");
    PrintBleu(captions, scenes.Select(s => set.Captions(s)).ToArray());
    foreach (var (c, s) in captions.Zip(scenes).Take(5)) Console.WriteLine($"  truth: {set.CanonicalCaption(s)}\n  said:  {c}");
    return 0;
}

int Fashion()
{
    var trainData = ml.Data.LoadFashionMnist(new FashionMnistOptions { ImageSize = 64, MaxImages = 6000, CaptionsPerImage = 2, Seed = 1 });
    var clock = Stopwatch.StartNew();
    var model = ml.Transforms.StreamCaptioner(options).Fit(trainData);
    Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F0} s on 6000 images × 2 captions");
    var test = new FashionMnistDataset(new FashionMnistOptions { ImageSize = 64, Split = DatasetSplit.Test, MaxImages = 1000, CaptionsPerImage = 5 });
    var pixels = Enumerable.Range(0, test.Count).Select(i => ImageTensor.ToChw(test.Image(i), 64)).ToArray();
    var captions = Caption(model, pixels);
    string[] nouns = { "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot" };
    // A caption is right when it names the true class and no other ("t-shirt" is not read as "shirt").
    int right = captions.Select((c, i) => Named(c, nouns) == test.Label(i) ? 1 : 0).Sum();
    Console.WriteLine($"held-out Fashion-MNIST test split ({test.Count} images): class-word accuracy {(double)right / test.Count:P1}");
    PrintBleu(captions, Enumerable.Range(0, test.Count).Select(i => test.Captions(i)).ToArray());
    return 0;
}

static int Named(string caption, string[] nouns)
{
    // Compare token sequences (the tokenizer splits "t-shirt" into "t shirt"); "shirt" inside "t shirt" is not a shirt.
    static string Join(string text) => " " + string.Join(' ', CaptionTokenizer.Tokenize(text)) + " ";
    string c = Join(caption);
    static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
    var hits = Enumerable.Range(0, nouns.Length).Where(k =>
        k == 6 ? Count(c, Join(nouns[6])) > Count(c, Join(nouns[0])) : c.Contains(Join(nouns[k]), StringComparison.Ordinal)).ToList();
    return hits.Count == 1 ? hits[0] : -1;
}

static string[] Caption(StreamCaptionerTransformer model, float[][] pixels)
{
    int size = model.ImageSize;
    var result = new List<string>();
    for (int start = 0; start < pixels.Length; start += 100)
    {
        var chunk = pixels.Skip(start).Take(100).ToArray();
        using var scope = torch.NewDisposeScope();
        var batch = torch.tensor(chunk.SelectMany(p => p).ToArray(), new long[] { chunk.Length, 3, size, size });
        result.AddRange(model.Generate(batch).Select(g => model.Vocabulary.Decode(g.Ids)));
    }
    return result.ToArray();
}

static void PrintBleu(string[] candidates, IReadOnlyList<string>[] references)
{
    var bleu = Bleu.Corpus(
        candidates.Select(c => (IReadOnlyList<string>)CaptionTokenizer.Tokenize(c)).ToArray(),
        references.Select(r => (IReadOnlyList<IReadOnlyList<string>>)r.Select(x => (IReadOnlyList<string>)CaptionTokenizer.Tokenize(x)).ToArray()).ToArray());
    Console.WriteLine($"corpus BLEU-1..4: {string.Join(" / ", bleu.Select(b => b.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
}
