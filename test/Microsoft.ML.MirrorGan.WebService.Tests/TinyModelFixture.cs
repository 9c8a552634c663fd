using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.TextEmbed;

namespace Microsoft.ML.MirrorGan.WebService.Tests;

/// <summary>
/// A real but tiny model, trained once for all web tests (seconds, not the main job's minutes): TextEmbed, the STREAM
/// captioner and a two-stage MirrorGAN (64 → 128 px, so there is one refinement stage with word attention), saved as
/// model.zip the way the QuickStart saves it, and exported to ONNX.
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), "mirrorgan-web-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadMirrorGanShapes(new ShapesOptions { ImageSize = 64, Count = 24, Seed = 4, CaptionsPerImage = 1 });
        var stem = ml.Transforms.TextEmbed(new TextEmbedOptions
        {
            EmbeddingSize = 16, HiddenSize = 8, MaxWords = 12, BatchSize = 8, Backbone = new SmallCnnBackboneOptions { InputSize = 32, Width = 8 }, ImageSize = 32, Epochs = 1, Seed = 1, Device = "cpu",
        }).Fit(train);
        var cap = StreamCaptionerOptions.Tiny();
        cap.Backbone = new SmallCnnBackboneOptions { InputSize = 16, Width = 8 };
        cap.ImageSize = 32;
        cap.EmbedSize = 16;
        cap.HiddenSize = 32;
        cap.Epochs = 20; // a few hundred milliseconds; one epoch often still says "<end>" first (an empty caption)
        cap.BatchSize = 8;
        var captioner = ml.Transforms.StreamCaptioner(cap, stem.Vocabulary).Fit(train);
        var options = new MirrorGanTrainerOptions
        {
            Network = new GlamNetworkOptions { Stages = 2, GeneratorDim = 4, DiscriminatorDim = 4, ResidualBlocks = 1, ZDim = 8, ConditionDim = 8, NormalizeSentence = true },
            BatchSize = 4,
            Iterations = 2,
            GeneratorLearningRate = 6e-4,
            DiscriminatorLearningRate = 6e-4,
            KlWeight = 0.02,
            Device = "cpu",
            Seed = 3,
            Columns = new MirrorGanColumns { SeedColumnName = "Seed" },
        };
        var chain = ml.Transforms.MirrorGan(options, stem, captioner).Fit(train);
        ModelPath = Path.Combine(Folder, "model.zip");
        var prompts = ml.Data.LoadFromEnumerable(new[] { new Prompt() });
        ml.Model.Save(chain, prompts.Schema, ModelPath);
        OnnxFolder = Path.Combine(Folder, "onnx");
        chain.ExportToOnnx(OnnxFolder);
        Captions = train.GetColumn<string>("Caption").Distinct().Take(6).ToArray();
        ImageSize = 128;
        Vocabulary = stem.Vocabulary.Words.ToArray();
        var shapes = new ShapesDataset(new ShapesOptions { ImageSize = 64, Count = 4, Seed = 9 });
        ScenePng = shapes.RenderPng(shapes.Scene(0));
        // What the library itself says about the scene: the caption endpoint must return exactly this.
        using (var image = MLImage.CreateFromStream(new MemoryStream(ScenePng)))
        using (var scope = TorchSharp.torch.NewDisposeScope())
        {
            var chw = Imaging.ImageTensor.ToChw(image, captioner.ImageSize);
            var ids = captioner.Generate(TorchSharp.torch.tensor(chw, new long[] { 1, 3, captioner.ImageSize, captioner.ImageSize }))[0].Ids;
            SceneCaption = captioner.Vocabulary.Decode(ids);
        }
    }

    /// <summary>The captioner's caption of <see cref="ScenePng"/>, computed with the library directly.</summary>
    public string SceneCaption { get; }

    /// <summary>Scratch folder holding the model files.</summary>
    public string Folder { get; }

    /// <summary>The saved chain TextEmbed → MirrorGan → StreamCaptioner.</summary>
    public string ModelPath { get; }

    /// <summary>The same chain exported to ONNX.</summary>
    public string OnnxFolder { get; }

    /// <summary>Training captions (every word is known).</summary>
    public string[] Captions { get; }

    /// <summary>Side of the generated images.</summary>
    public int ImageSize { get; }

    /// <summary>The model's words.</summary>
    public string[] Vocabulary { get; }

    /// <summary>A 64-px Shapes scene as PNG, for the caption endpoint.</summary>
    public byte[] ScenePng { get; }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class Prompt
    {
        public string Caption { get; set; } = "";

        public int Seed { get; set; }
    }
}

/// <summary>
/// One collection: the tiny model is trained once, and test classes that run TorchSharp do not overlap (torch's
/// thread pool and RNG are process-wide; see the main tests' collections).
/// </summary>
[CollectionDefinition("Web", DisableParallelization = true)]
public sealed class WebCollection : ICollectionFixture<TinyModelFixture>
{
}
