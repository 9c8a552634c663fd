// Usage: ModelLoadHost glam-train <stem-and-stream.zip> <checkpointFolder> <iterations> <resume 0|1> <pauseMs>
// Trains the minimal one-stage MirrorGAN of the trainer tests on 24 Shapes rows with the TextEmbed and STREAM captioner
// loaded from the zip (a TransformerChain saved by the calling test), checkpointing every iteration. Prints one line per
// iteration, "iter N <losses as IEEE-754 bit patterns>", flushed at once, so a test can kill this process (SIGKILL)
// after a checkpoint and compare a resumed run's losses with an uninterrupted run's bit for bit. pauseMs sleeps after
// each reported iteration so the killing test can catch it mid-run; it changes nothing in the arithmetic.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;
using static System.Globalization.CultureInfo;

internal static class GlamTrainVerb
{
    public static int Run(string[] args)
    {
        // One intra-op thread: the same reduction order in every process, so losses compare bit for bit.
        TorchSharp.torch.set_num_threads(1);
        var ml = new MLContext(seed: 1);
        var parts = ((TransformerChain<ITransformer>)ml.Model.Load(args[0], out _)).ToArray();
        var train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 24, Seed = 4, CaptionsPerImage = 1 });
        int pause = int.Parse(args[4], InvariantCulture);
        var options = new MirrorGanTrainerOptions
        {
            Network = new GlamNetworkOptions { Stages = 1, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8, NormalizeSentence = true },
            BatchSize = 4,
            Iterations = int.Parse(args[2], InvariantCulture),
            GeneratorLearningRate = 6e-4,
            DiscriminatorLearningRate = 6e-4,
            KlWeight = 0.02,
            ReportEvery = 1,
            Device = "cpu",
            Seed = 3,
            CheckpointFolder = args[1],
            CheckpointEvery = 1,
            Resume = args[3] == "1",
            Progress = new SyncProgress(p =>
            {
                var bits = p.DiscriminatorLosses.Append(p.GeneratorAdversarialLoss).Append(p.StreamLoss).Append(p.KlLoss).Append(p.GeneratorLoss)
                    .Select(v => BitConverter.DoubleToInt64Bits(v).ToString("x16", InvariantCulture));
                Console.Out.WriteLine($"iter {p.Iteration} {string.Join(' ', bits)}");
                Console.Out.Flush();
                if (pause > 0) Thread.Sleep(pause);
            }),
        };
        ml.Transforms.MirrorGan(options, parts.OfType<TextEmbedTransformer>().Single(), parts.OfType<StreamCaptionerTransformer>().Single()).Fit(train);
        Console.Out.WriteLine("done");
        return 0;
    }

    private sealed class SyncProgress : IProgress<MirrorGanProgress>
    {
        private readonly Action<MirrorGanProgress> _action;
        public SyncProgress(Action<MirrorGanProgress> action) => _action = action;
        public void Report(MirrorGanProgress value) => _action(value);
    }
}
