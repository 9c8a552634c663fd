using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Glam;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

[Collection("Glam trainer")]
public class MirrorGanTrainerTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public MirrorGanTrainerTests(GlamFixture fixture) => _f = fixture;

    [Fact]
    public void Resume_continues_with_exactly_the_losses_of_an_uninterrupted_run()
    {
        using var dir = TestPaths.NewTempDir();
        var straight = _f.Options(4);
        var all = new ListProgress<MirrorGanProgress>();
        straight.Progress = all;
        _f.Trainer(straight).Fit(_f.Train);

        var first = _f.Options(2);
        first.CheckpointFolder = dir.Path;
        _f.Trainer(first).Fit(_f.Train);
        var second = _f.Options(4);
        second.CheckpointFolder = dir.Path;
        second.Resume = true;
        var resumed = new ListProgress<MirrorGanProgress>();
        second.Progress = resumed;
        var trainer = _f.Trainer(second);
        trainer.Fit(_f.Train);

        Assert.Equal(new[] { 3, 4 }, resumed.Items.Select(p => p.Iteration));
        for (int k = 0; k < 2; k++)
        {
            var a = all.Items[2 + k];
            var b = resumed.Items[k];
            Assert.Equal(a.GeneratorLoss, b.GeneratorLoss);
            Assert.Equal(a.DiscriminatorLosses, b.DiscriminatorLosses);
            Assert.Equal(a.StreamLoss, b.StreamLoss);
        }
    }

    [Fact]
    public void A_non_finite_loss_stops_with_the_iteration_and_term_and_keeps_the_last_checkpoint()
    {
        using var dir = TestPaths.NewTempDir();
        var o = _f.Options(5);
        o.CheckpointFolder = dir.Path;
        o.CheckpointEvery = 1;
        var trainer = _f.Trainer(o);
        int calls = 0;
        trainer.LossHook = (name, t) => name == "stream" && ++calls == 3 ? t * double.NaN : t;
        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit(_f.Train));
        Assert.Equal(2, e.Iteration);
        Assert.Equal("stream", e.Term);
        Assert.Contains("iteration 2", e.Message);
        string checkpoint = Path.Combine(dir.Path, "checkpoint.bin");
        Assert.Contains(checkpoint, e.Message);
        Assert.Equal(checkpoint, e.Checkpoint);
        Assert.Equal("MirrorGanTrainer", e.Trainer);
        Assert.Null(e.Epoch);

        // The checkpoint is iteration 2's (the last good one) and resumes.
        var again = _f.Options(3);
        again.CheckpointFolder = dir.Path;
        again.Resume = true;
        var progress = new ListProgress<MirrorGanProgress>();
        again.Progress = progress;
        _f.Trainer(again).Fit(_f.Train);
        Assert.Equal(new[] { 3 }, progress.Items.Select(p => p.Iteration));
    }

    [Fact]
    public void Cancellation_writes_a_checkpoint_and_throws()
    {
        using var dir = TestPaths.NewTempDir();
        using var cts = new CancellationTokenSource();
        var o = _f.Options(50);
        o.CheckpointFolder = dir.Path;
        o.CheckpointEvery = 0;
        o.CancellationToken = cts.Token;
        o.Progress = new ListProgress<MirrorGanProgress>(p => { if (p.Iteration == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => _f.Trainer(o).Fit(_f.Train));
        Assert.True(File.Exists(Path.Combine(dir.Path, "checkpoint.bin")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void A_failed_checkpoint_write_leaves_the_previous_checkpoint_intact()
    {
        using var dir = TestPaths.NewTempDir();
        var o = _f.Options(2);
        o.CheckpointFolder = dir.Path;
        _f.Trainer(o).Fit(_f.Train);
        string path = Path.Combine(dir.Path, "checkpoint.bin");
        var before = File.ReadAllBytes(path);

        var more = _f.Options(3);
        more.CheckpointFolder = dir.Path;
        more.Resume = true;
        GlamCheckpoint.StreamWrapper = s => new FailingStream(s, failAfter: before.Length / 2);
        try
        {
            Assert.Throws<IOException>(() => _f.Trainer(more).Fit(_f.Train));
        }
        finally
        {
            GlamCheckpoint.StreamWrapper = null;
        }
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path)); // no temporary file left behind
    }

    [Fact]
    public void EmaBatchNormBatches_changes_only_the_fitted_generators_BatchNorm_statistics()
    {
        var plain = _f.Options(3);
        var recalibrated = _f.Options(3);
        recalibrated.EmaBatchNormBatches = 4;
        var a = _f.Trainer(plain).Fit(_f.Train).Generator().Generator;
        var b = _f.Trainer(recalibrated).Fit(_f.Train).Generator().Generator;
        foreach (var (x, y) in a.parameters().Zip(b.parameters()))
            Assert.True(x.allclose(y, 0, 0));
        var buffers = a.named_buffers().Zip(b.named_buffers()).Where(p => p.First.name.EndsWith("running_mean", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(buffers);
        Assert.All(buffers, p => Assert.False(p.First.buffer.allclose(p.Second.buffer, 0, 0), p.First.name));
        Assert.False(b.training);
    }

    [Fact]
    public void Sample_grids_are_written_as_png()
    {
        using var dir = TestPaths.NewTempDir();
        var o = _f.Options(2);
        o.SampleFolder = dir.Path;
        o.SampleEvery = 1;
        o.SampleCaptions = 3;
        _f.Trainer(o).Fit(_f.Train);
        var files = Directory.GetFiles(dir.Path, "samples_*.png").Select(Path.GetFileName).OrderBy(x => x).ToArray();
        Assert.Equal(new[] { "samples_000001.png", "samples_000002.png" }, files);
        using var img = MLImage.CreateFromFile(Path.Combine(dir.Path, files[0]!));
        Assert.True(img.Width >= 4 * 64 && img.Height >= 3 * 64);
    }

    [Fact]
    public void A_captioner_with_another_vocabulary_fails_before_training()
    {
        var o = _f.Options(1);
        var other = new MLContext(seed: 2).Transforms.StreamCaptioner(new Microsoft.ML.MirrorGan.StreamCaptioner.StreamCaptionerOptions
        {
            Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 }, ImageSize = 32, EmbedSize = 8, HiddenSize = 8, Epochs = 1, BatchSize = 4,
        }).Fit(_f.Ml.Data.LoadFromEnumerable(new[]
        {
            new CaptionImage("a zebra", Microsoft.ML.MirrorGan.Data.RgbImage.FromRgb(32, 32, new byte[32 * 32 * 3])),
            new CaptionImage("two zebras", Microsoft.ML.MirrorGan.Data.RgbImage.FromRgb(32, 32, new byte[32 * 32 * 3])),
        }));
        var e = Assert.ThrowsAny<Exception>(() => _f.Ml.Transforms.MirrorGan(o, _f.TextEmbed, other));
        Assert.Contains("vocabular", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Without_TextEmbed_and_captioner_the_trainer_fits_both_first_with_a_shared_vocabulary()
    {
        var o = _f.Options(1);
        o.TextEmbedOptions = new Microsoft.ML.MirrorGan.TextEmbed.TextEmbedOptions
        {
            EmbeddingSize = 8, HiddenSize = 4, MaxWords = 12, BatchSize = 8, Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 4 }, ImageSize = 32, Epochs = 1, Device = "cpu",
        };
        var cap = Microsoft.ML.MirrorGan.StreamCaptioner.StreamCaptionerOptions.Tiny();
        cap.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 4 };
        cap.ImageSize = 16;
        cap.EmbedSize = 8;
        cap.HiddenSize = 8;
        cap.Epochs = 1;
        o.StreamCaptionerOptions = cap;
        var chain = _f.Ml.Transforms.MirrorGan(o).Fit(_f.Train);
        var parts = chain.ToArray();
        Assert.Equal(3, parts.Length);
        var text = Assert.IsType<Microsoft.ML.MirrorGan.TextEmbed.TextEmbedTransformer>(parts[0]);
        Assert.Equal(8, Assert.IsType<MirrorGanTransformer>(parts[1]).TextDim);
        var captioner = Assert.IsType<Microsoft.ML.MirrorGan.StreamCaptioner.StreamCaptionerTransformer>(parts[2]);
        Assert.Equal(text.Vocabulary.Fingerprint, captioner.Vocabulary.Fingerprint);
        Assert.Equal("GeneratedImage", captioner.ImageColumnName);
        // The caller's options are not changed by the fit (the trainer fits copies with its own seed and columns).
        Assert.Null(o.TextEmbedOptions.Seed);
        Assert.Same(cap, o.StreamCaptionerOptions);
    }

    private sealed class CaptionImage
    {
        public CaptionImage(string caption, MLImage image) { Caption = caption; Image = image; }

        public string Caption { get; set; }

        [Microsoft.ML.Transforms.Image.ImageType(32, 32)]
        public MLImage Image { get; set; }
    }
}
