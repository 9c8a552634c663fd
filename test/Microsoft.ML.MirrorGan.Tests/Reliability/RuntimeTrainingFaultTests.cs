using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Tests.Glam;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, training faults: a non-finite loss in each term, a failing checkpoint write and cancellation, each followed
/// by a resume whose losses must equal an uninterrupted run's bit for bit (the kept checkpoint is not just present but
/// usable). Also the STEM and STREAM pretraining guards (they write no checkpoints: they stop before the bad step).
/// </summary>
[Collection("Glam trainer")]
public class RuntimeTrainingFaultTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;
    private static (GlamFixture For, List<MirrorGanProgress> Losses)? _reference;

    public RuntimeTrainingFaultTests(GlamFixture fixture) => _f = fixture;

    /// <summary>An uninterrupted 4-iteration run's progress (iterations 1..4), computed once per fixture.</summary>
    private List<MirrorGanProgress> Reference()
    {
        if (_reference is { } r && ReferenceEquals(r.For, _f)) return r.Losses;
        var o = _f.Options(4);
        var all = new ListProgress<MirrorGanProgress>();
        o.Progress = all;
        _f.Trainer(o).Fit(_f.Train);
        _reference = (_f, all.Items);
        return all.Items;
    }

    /// <summary>Resumes from <paramref name="folder"/> to iteration 4 and checks each step's losses against the reference.</summary>
    private void ResumeMatchesReference(string folder, int from)
    {
        var o = _f.Options(4);
        o.CheckpointFolder = folder;
        o.Resume = true;
        var resumed = new ListProgress<MirrorGanProgress>();
        o.Progress = resumed;
        _f.Trainer(o).Fit(_f.Train);
        Assert.Equal(Enumerable.Range(from + 1, 4 - from), resumed.Items.Select(p => p.Iteration));
        var reference = Reference();
        foreach (var p in resumed.Items)
        {
            var want = reference[p.Iteration - 1];
            Assert.Equal(want.DiscriminatorLosses, p.DiscriminatorLosses);
            Assert.Equal(want.GeneratorAdversarialLoss, p.GeneratorAdversarialLoss);
            Assert.Equal(want.StreamLoss, p.StreamLoss);
            Assert.Equal(want.KlLoss, p.KlLoss);
            Assert.Equal(want.GeneratorLoss, p.GeneratorLoss);
        }
    }

    /// <summary>A 4-iteration trainer that writes its checkpoint to <paramref name="folder"/> after every iteration.</summary>
    private MirrorGanTrainer CheckpointingEveryIteration(string folder)
    {
        var o = _f.Options(4);
        o.CheckpointFolder = folder;
        o.CheckpointEvery = 1;
        return _f.Trainer(o);
    }

    [Theory]
    [InlineData("D0", "D0", double.NaN)]
    [InlineData("adversarial", "G_adversarial", double.PositiveInfinity)]
    [InlineData("KL", "KL", double.NaN)]
    [InlineData("stream", "stream", double.NegativeInfinity)]
    public void A_non_finite_loss_names_term_and_iteration_and_the_kept_checkpoint_resumes_exactly(string hookName, string term, double bad)
    {
        Reference();
        using var dir = TestPaths.NewTempDir();
        var trainer = CheckpointingEveryIteration(dir.Path);
        int calls = 0;
        // Iteration 2 (0-based: the third step) goes bad; iterations 0 and 1 were checkpointed.
        trainer.LossHook = (name, t) => name == hookName && ++calls == 3 ? t * bad : t;
        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit(_f.Train));
        string checkpoint = dir.File("checkpoint.bin");
        Assert.Equal(term, e.Term);
        Assert.Equal(2, e.Iteration);
        Assert.Contains($"'{term}'", e.Message);
        Assert.Contains("iteration 2", e.Message);
        Assert.Contains(checkpoint, e.Message);
        Assert.Equal(2, GlamCheckpoint.ReadIteration(checkpoint));
        Assert.Single(Directory.GetFiles(dir.Path));
        ResumeMatchesReference(dir.Path, from: 2);
    }

    [Fact]
    public void Finite_losses_with_NaN_gradients_stop_before_the_checkpoint_is_overwritten()
    {
        Reference();
        using var dir = TestPaths.NewTempDir();
        var trainer = CheckpointingEveryIteration(dir.Path);
        int calls = 0;
        // What a wrong native convolution did: the forward and every loss stay finite, the gradients are NaN. The
        // unselected branch of `where` contributes 0 to the value and 0·NaN = NaN to the gradient.
        trainer.LossHook = (name, t) =>
        {
            if (name != "adversarial" || ++calls != 3) return t;
            var zero = zeros_like(t);
            return t + where(zero.to(ScalarType.Bool), t * double.NaN, zero);
        };
        var e = Assert.Throws<NonFiniteLossException>(() => trainer.Fit(_f.Train));
        string checkpoint = dir.File("checkpoint.bin");
        Assert.StartsWith("G.", e.Term);
        Assert.Equal(2, e.Iteration);
        Assert.Contains($"'{e.Term}'", e.Message);
        Assert.Contains(checkpoint, e.Message);
        Assert.Equal(2, GlamCheckpoint.ReadIteration(checkpoint)); // the NaN weights of iteration 3 were never written
        ResumeMatchesReference(dir.Path, from: 2);
    }

    [Theory]
    [InlineData(0)]        // the first byte fails (a full disk)
    [InlineData(20_000)]   // mid-file, inside the weights
    public void A_failing_checkpoint_write_keeps_the_previous_checkpoint_loadable(int failAfter)
    {
        Reference();
        using var dir = TestPaths.NewTempDir();
        var o = _f.Options(2);
        o.CheckpointFolder = dir.Path;
        _f.Trainer(o).Fit(_f.Train);
        string path = dir.File("checkpoint.bin");
        var before = File.ReadAllBytes(path);
        Assert.True(before.Length > failAfter);

        var more = _f.Options(4);
        more.CheckpointFolder = dir.Path;
        more.CheckpointEvery = 1;
        more.Resume = true;
        GlamCheckpoint.StreamWrapper = s => new FailingStream(s, failAfter);
        IOException e;
        try
        {
            e = Assert.Throws<IOException>(() => _f.Trainer(more).Fit(_f.Train));
        }
        finally
        {
            GlamCheckpoint.StreamWrapper = null;
        }
        Assert.Contains("iteration 3", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("previous checkpoint there is intact", e.Message);
        Assert.Contains("No space left on device (simulated)", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path)); // the temporary file was removed
        ResumeMatchesReference(dir.Path, from: 2);
    }

    [Fact]
    public void Cancellation_saves_a_checkpoint_that_resumes_exactly()
    {
        Reference();
        using var dir = TestPaths.NewTempDir();
        using var cts = new CancellationTokenSource();
        var o = _f.Options(50);
        o.CheckpointFolder = dir.Path;
        o.CheckpointEvery = 0; // only the cancellation writes one
        o.CancellationToken = cts.Token;
        o.Progress = new ListProgress<MirrorGanProgress>(p => { if (p.Iteration == 2) cts.Cancel(); });
        var trainer = _f.Trainer(o);
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(_f.Train));
        Assert.Equal(2, GlamCheckpoint.ReadIteration(dir.File("checkpoint.bin")));
        ResumeMatchesReference(dir.Path, from: 2);
    }

    [Fact]
    public void TextEmbed_pretraining_stops_at_a_non_finite_loss_with_term_and_iteration()
    {
        var options = new TextEmbedOptions
        {
            EmbeddingSize = 8, HiddenSize = 4, MaxWords = 12, BatchSize = 4, Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 4 }, ImageSize = 32, Epochs = 2, Seed = 1, Device = "cpu",
        };
        var est = _f.Ml.Transforms.TextEmbed(options);
        int calls = 0;
        est.LossHook = (term, t) => term == "sentence" && ++calls == 8 ? t * double.NaN : t; // 24 rows / batch 4 = 6 steps per epoch
        var e = Assert.Throws<NonFiniteLossException>(() => est.Fit(_f.Train));
        Assert.Equal("sentence", e.Term);
        Assert.Equal(7, e.Iteration);
        Assert.Equal(2, e.Epoch);
        Assert.True(double.IsNaN(e.Value));
        Assert.Contains("'sentence' is NaN at iteration 7 (epoch 2)", e.Message);
        Assert.Contains("TextEmbed", e.Message);
        Assert.Null(e.Checkpoint);
    }

    [Fact]
    public void StreamCaptioner_pretraining_stops_at_a_non_finite_loss_with_term_and_iteration()
    {
        var cap = StreamCaptionerOptions.Tiny();
        cap.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 4 };
        cap.ImageSize = 16;
        cap.EmbedSize = 8;
        cap.HiddenSize = 8;
        cap.Epochs = 1;
        cap.BatchSize = 8;
        var est = _f.Ml.Transforms.StreamCaptioner(cap, _f.TextEmbed.Vocabulary);
        int calls = 0;
        est.LossHook = (term, t) => ++calls == 2 ? t * double.PositiveInfinity : t;
        var e = Assert.Throws<NonFiniteLossException>(() => est.Fit(_f.Train));
        Assert.Equal("caption", e.Term);
        Assert.Equal(1, e.Iteration);
        Assert.Equal(1, e.Epoch);
        Assert.True(double.IsPositiveInfinity(e.Value));
        Assert.Contains($"'caption' is {double.PositiveInfinity} at iteration 1 (epoch 1)", e.Message);
        Assert.Contains("StreamCaptioner", e.Message);
    }
}
