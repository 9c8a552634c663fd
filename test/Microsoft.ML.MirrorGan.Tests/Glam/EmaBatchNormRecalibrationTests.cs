using Microsoft.ML.MirrorGan.Glam;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

[Collection("Glam trainer")]
public class EmaBatchNormRecalibrationTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public EmaBatchNormRecalibrationTests(GlamFixture fixture) => _f = fixture;

    private GlamTrainingData Data() =>
        GlamTrainingData.Read(_f.Train, "Caption", "Image", 64, _f.TextEmbed, _ => { });

    private MirrorGanGeneratorNet Generator()
    {
        manual_seed(5);
        var net = new GlamNetworkOptions { Stages = 1, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8, TextDim = _f.TextEmbed.FeatureSize };
        return new MirrorGanGeneratorNet(net with { NormalizeSentence = true });
    }

    private static List<BatchNorm> Norms(nn.Module m) => m.modules().OfType<BatchNorm>().ToList();

    // Eval-mode images minus train-mode images (batch statistics) for the same rows and noise: what wrong running statistics cost.
    private static double EvalVersusBatchStatistics(MirrorGanGeneratorNet g, GlamTrainingData data)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch(Enumerable.Range(0, data.Count).ToArray(), CPU);
        using var gen = new torch.Generator(11);
        var z = randn(new long[] { data.Count, 8 }, generator: gen);
        var eps = randn(new long[] { data.Count, 8 }, generator: gen);
        g.eval();
        var evalImages = g.Generate(z, eps, batch.Sentence, batch.Words, batch.Mask).Output.Images[^1];
        var norms = Norms(g);
        var saved = norms.Select(n => (n.running_mean!.clone(), n.running_var!.clone())).ToList();
        g.train();
        var trainImages = g.Generate(z, eps, batch.Sentence, batch.Words, batch.Mask).Output.Images[^1];
        for (int i = 0; i < norms.Count; i++) { norms[i].running_mean!.copy_(saved[i].Item1); norms[i].running_var!.copy_(saved[i].Item2); }
        g.eval();
        return (evalImages - trainImages).abs().mean().item<float>();
    }

    [Fact]
    public void Running_statistics_come_back_to_the_batch_statistics_and_the_settings_are_restored()
    {
        var data = Data();
        using var g = Generator();
        using (no_grad())
            foreach (var n in Norms(g)) { n.running_mean!.fill_(3); n.running_var!.fill_(40); }
        double corrupted = EvalVersusBatchStatistics(g, data);

        EmaBatchNormRecalibration.Run(g, data, batches: 24, batchSize: 8, CPU, seed: 2);

        double recalibrated = EvalVersusBatchStatistics(g, data);
        Assert.True(corrupted > 0.1, $"corrupted statistics should change the images: {corrupted}");
        // Population statistics never equal one batch's exactly (24 rows here, 8 per recalibration batch, 4 channels).
        Assert.True(recalibrated < corrupted / 2, $"eval vs batch statistics: {recalibrated} after, {corrupted} before");
        Assert.False(g.training);
        Assert.All(Norms(g), n => Assert.Equal(0.1, n.momentum!.Value, 12));
    }

    [Fact]
    public void Recalibration_is_a_function_of_the_weights_data_and_seed_and_leaves_the_global_generator_alone()
    {
        var data = Data();
        using var a = Generator();
        using var b = Generator();
        manual_seed(9);
        var expectedNext = randn(4).data<float>().ToArray();
        manual_seed(9);
        EmaBatchNormRecalibration.Run(a, data, 3, 8, CPU, seed: 2);
        var next = randn(4).data<float>().ToArray();
        EmaBatchNormRecalibration.Run(b, data, 3, 8, CPU, seed: 2);
        Assert.Equal(expectedNext, next);
        foreach (var (x, y) in Norms(a).Zip(Norms(b)))
        {
            Assert.True(x.running_mean!.allclose(y.running_mean!, 0, 0));
            Assert.True(x.running_var!.allclose(y.running_var!, 0, 0));
        }
        using var c = Generator();
        EmaBatchNormRecalibration.Run(c, data, 3, 8, CPU, seed: 3);
        Assert.False(Norms(a)[0].running_mean!.allclose(Norms(c)[0].running_mean!, 0, 0));
    }

    [Fact]
    public void The_statistics_are_the_plain_mean_of_each_batchs_statistics()
    {
        using var scope = NewDisposeScope();
        var data = Data();
        using var gen = new torch.Generator(4);
        var inputs = Enumerable.Range(0, 3).Select(k =>
        {
            var batch = data.Batch(Enumerable.Range(k * 6, 6).ToArray(), CPU);
            return new RecalibrationInput(randn(new long[] { 6, 8 }, generator: gen), randn(new long[] { 6, 8 }, generator: gen), batch.Sentence, batch.Words, batch.Mask);
        }).ToList();
        using var g = Generator();
        EmaBatchNormRecalibration.Run(g, inputs);

        // Each batch alone (momentum 1: the running statistics become that batch's), then averaged by hand.
        using var single = Generator();
        var norms = Norms(single);
        var means = norms.Select(n => zeros_like(n.running_mean!)).ToList();
        var vars = norms.Select(n => zeros_like(n.running_var!)).ToList();
        using (no_grad())
        {
            foreach (var x in inputs)
            {
                foreach (var n in norms) n.momentum = 1;
                single.train();
                single.Generate(x.Z, x.Eps, x.Sentence, x.Words, x.Mask);
                for (int i = 0; i < norms.Count; i++) { means[i].add_(norms[i].running_mean! / 3); vars[i].add_(norms[i].running_var! / 3); }
            }
        }
        var recalibrated = Norms(g);
        Assert.Equal(norms.Count, recalibrated.Count);
        for (int i = 0; i < norms.Count; i++)
        {
            Assert.True(recalibrated[i].running_mean!.allclose(means[i], 1e-4, 1e-5), $"BatchNorm {i} mean");
            Assert.True(recalibrated[i].running_var!.allclose(vars[i], 1e-4, 1e-5), $"BatchNorm {i} variance");
        }
    }
}
