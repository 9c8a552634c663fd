using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

[Collection("Glam trainer")]
public class MirrorGanTransformerTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;

    public MirrorGanTransformerTests(GlamFixture fixture) => _f = fixture;

    public sealed class Prompt
    {
        public string Caption { get; set; } = "";
        public int Seed { get; set; }
    }

    public sealed class Generated
    {
        [ImageType(64, 64)]
        public MLImage? GeneratedImage { get; set; }

        [VectorType(3 * 64 * 64)]
        public float[] GeneratedPixels { get; set; } = Array.Empty<float>();

        public string GeneratedCaption { get; set; } = "";
    }

    private static readonly Prompt[] Prompts =
    {
        new() { Caption = "a small red circle on the left on a white background", Seed = 1 },
        new() { Caption = "a large blue square at the top on a black background", Seed = 2 },
        new() { Caption = "a small red circle on the left on a white background", Seed = 1 },
        new() { Caption = "a small red circle on the left on a white background", Seed = 9 },
    };

    private (ITransformer Chain, MirrorGanTrainer Trainer) TrainChain(bool initStageAttention = false, bool standardize = false)
    {
        var o = _f.Options(2);
        o.Network = o.Network with { InitStageAttention = initStageAttention, StandardizeSentence = standardize };
        o.Columns = new MirrorGanColumns { SeedColumnName = "Seed", GeneratedPixelsColumnName = "GeneratedPixels" };
        var trainer = _f.Trainer(o);
        return (trainer.Fit(_f.Train), trainer);
    }

    public sealed class CaptionOnly
    {
        public string Caption { get; set; } = "";
    }

    [Fact]
    public void The_seed_column_is_optional_a_caption_alone_uses_the_models_seed()
    {
        var o = _f.Options(1);
        o.Columns = new MirrorGanColumns { GeneratedPixelsColumnName = "GeneratedPixels" }; // default: SeedColumnName "Seed", optional
        var chain = _f.Trainer(o).Fit(_f.Train);
        int seed = chain.OfType<MirrorGanTransformer>().Single().Seed;
        string caption = Prompts[0].Caption;
        float[][] Pixels(IDataView view) => chain.Transform(view).GetColumn<float[]>("GeneratedPixels").ToArray();
        var alone = Pixels(_f.Ml.Data.LoadFromEnumerable(new[] { new CaptionOnly { Caption = caption }, new CaptionOnly { Caption = caption } }));
        var withSeeds = Pixels(_f.Ml.Data.LoadFromEnumerable(new[] { new Prompt { Caption = caption, Seed = seed }, new Prompt { Caption = caption, Seed = seed + 1 } }));
        Assert.Equal(alone[0], alone[1]);     // no seed column: every row the model's seed
        Assert.Equal(alone[0], withSeeds[0]); // the same seed given explicitly
        Assert.NotEqual(withSeeds[0], withSeeds[1]);
    }

    [Fact]
    public void Same_caption_and_seed_give_the_same_image_in_any_batch_and_in_a_prediction_engine()
    {
        var (chain, _) = TrainChain();
        var data = _f.Ml.Data.LoadFromEnumerable(Prompts);
        var pixels = chain.Transform(data).GetColumn<float[]>("GeneratedPixels").ToArray();
        Assert.Equal(pixels[0], pixels[2]);                    // same caption, same seed
        Assert.NotEqual(pixels[0], pixels[3]);                 // same caption, other seed
        Assert.NotEqual(pixels[0], pixels[1]);
        var again = chain.Transform(data).GetColumn<float[]>("GeneratedPixels").ToArray();
        Assert.Equal(pixels, again);

        var engine = _f.Ml.Model.CreatePredictionEngine<Prompt, Generated>(chain);
        var single = engine.Predict(Prompts[1]);
        Assert.Equal(64, single.GeneratedImage!.Width);
        Assert.False(string.IsNullOrWhiteSpace(single.GeneratedCaption));
        Assert.Equal(pixels[1].Length, single.GeneratedPixels.Length);
        // One row alone against the same row in a batch of four: the same image up to float rounding.
        Assert.True(pixels[1].Zip(single.GeneratedPixels).Max(x => Math.Abs(x.First - x.Second)) < 1e-5f);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void The_chain_saves_and_a_fresh_process_generates_identical_images(bool initStageAttention, bool standardize)
    {
        var (chain, _) = TrainChain(initStageAttention, standardize);
        using var dir = TestPaths.NewTempDir();
        var data = _f.Ml.Data.LoadFromEnumerable(Prompts);
        var expected = chain.Transform(data);
        var pixels = expected.GetColumn<float[]>("GeneratedPixels").ToArray();
        var captions = expected.GetColumn<string>("GeneratedCaption").ToArray();
        string zip = dir.File("chain.zip"), input = dir.File("in.idv"), output = dir.File("out.idv");
        _f.Ml.Model.Save(chain, data.Schema, zip);

        var reloaded = _f.Ml.Model.Load(zip, out _);
        var generator = ((IEnumerable<ITransformer>)reloaded).OfType<MirrorGanTransformer>().Single();
        Assert.Equal(initStageAttention, generator.Generator.Options.InitStageAttention);
        Assert.Equal(standardize, generator.Generator.StandardizeSentence);
        if (standardize)
        {
            var source = ((IEnumerable<ITransformer>)chain).OfType<MirrorGanTransformer>().Single().Generator.SentenceStatistics();
            var loaded = generator.Generator.SentenceStatistics();
            Assert.Equal(source.Mean.data<float>().ToArray(), loaded.Mean.data<float>().ToArray());
            Assert.Equal(source.InverseStd.data<float>().ToArray(), loaded.InverseStd.data<float>().ToArray());
            Assert.NotEqual(1f, loaded.InverseStd.data<float>()[0]); // set from the training captions, not the identity
        }
        Assert.Equal(pixels, reloaded.Transform(data).GetColumn<float[]>("GeneratedPixels").ToArray());

        using (var s = File.Create(input)) _f.Ml.Data.SaveAsBinary(data, s);
        var (code, log) = ChildProcess.RunDotnet(TestPaths.ModelLoadHost, TimeSpan.FromMinutes(2), zip, input, output);
        Assert.True(code == 0, log);
        // libtorch's one-time warnings come once per process: on CPUs without NNPACK support it used to print
        // "Could not initialize NNPACK! Reason: Unsupported hardware." before every convolution of every image.
        Assert.True(log.Split("Could not initialize NNPACK").Length - 1 <= 1, log);
        var fresh = _f.Ml.Data.LoadFromBinary(output);
        Assert.Equal(pixels, fresh.GetColumn<float[]>("GeneratedPixels").ToArray());
        Assert.Equal(captions, fresh.GetColumn<string>("GeneratedCaption").ToArray());
    }

    [Fact]
    public void The_generate_verb_draws_line_i_with_seed_N_plus_i_and_repeats_exactly()
    {
        var (chain, _) = TrainChain();
        using var dir = TestPaths.NewTempDir();
        string zip = dir.File("model.zip"), prompts = dir.File("prompts.txt");
        _f.Ml.Model.Save(chain, _f.Ml.Data.LoadFromEnumerable(Prompts).Schema, zip);
        File.WriteAllLines(prompts, new[] { Prompts[0].Caption, Prompts[0].Caption });
        byte[][] Run(string folder)
        {
            var (code, log) = ChildProcess.RunDotnet(Path.GetFullPath(TestPaths.Metadata("Experiments")), TimeSpan.FromMinutes(2),
                "generate", "--model", zip, "--prompts", prompts, "--seed", "5", "--out", dir.File(folder));
            Assert.True(code == 0, log);
            return new[] { File.ReadAllBytes(Path.Combine(dir.File(folder), "0.png")), File.ReadAllBytes(Path.Combine(dir.File(folder), "1.png")) };
        }
        var first = Run("a");
        Assert.NotEqual(first[0], first[1]);          // the same caption on lines 0 and 1: seeds 5 and 6
        var second = Run("b");
        Assert.Equal(first[0], second[0]);            // the same file and seed: the same PNG bytes
        Assert.Equal(first[1], second[1]);
    }

    [Fact]
    public void A_row_without_words_fails_naming_the_row_and_column()
    {
        var o = _f.Options(1);
        var generator = _f.Trainer(o).Fit(_f.Train).Generator();
        var features = new[] { new Features { WordFeatures = new float[generator.TextDim * generator.MaxWords], SentenceFeature = new float[generator.TextDim], WordCount = 0 } };
        var schema = Microsoft.ML.Data.SchemaDefinition.Create(typeof(Features));
        schema["WordFeatures"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, generator.TextDim * generator.MaxWords);
        schema["SentenceFeature"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, generator.TextDim);
        var view = _f.Ml.Data.LoadFromEnumerable(features, schema);
        var e = Assert.Throws<InvalidOperationException>(() => generator.Transform(view).GetColumn<MLImage>("GeneratedImage").ToArray());
        Assert.Contains("row 0", e.Message);
        Assert.Contains("'WordCount'", e.Message);
    }

    public sealed class Features
    {
        public float[] WordFeatures { get; set; } = Array.Empty<float>();
        public int WordCount { get; set; }
        public float[] SentenceFeature { get; set; } = Array.Empty<float>();
    }
}
