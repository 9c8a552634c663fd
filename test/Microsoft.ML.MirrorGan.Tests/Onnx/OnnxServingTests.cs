using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Tests.StreamCaptioner;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Onnx;

/// <summary>The ONNX-backed transformers against TorchSharp, manifests, errors, GPU fallback and concurrency.</summary>
public class OnnxServingTests : IClassFixture<OnnxTestModels>
{
    private readonly OnnxTestModels _m;

    public OnnxServingTests(OnnxTestModels models) => _m = models;

    private sealed class CaptionRow
    {
        public string Caption { get; set; } = "";
    }

    private sealed class PixelsRow
    {
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    private MirrorGanOnnxTextToImageTransformer TextToImage(int batchSize = 8, OnnxSessionOptions? session = null) =>
        _m.Ml.Transforms.MirrorGanOnnxTextToImage(new MirrorGanOnnxTextToImageOptions
        {
            ModelFolder = _m.Folder.Path, OutputPixelsColumnName = "Pixels", Seed = 7, BatchSize = batchSize, Session = session ?? new OnnxSessionOptions(),
        }).Fit(_m.Ml.Data.LoadFromEnumerable(new[] { new CaptionRow() }));

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Text_to_image_transformer_matches_TorchSharp(int batchSize)
    {
        using var t = TextToImage(batchSize);
        var output = t.Transform(_m.Ml.Data.LoadFromEnumerable(OnnxTestModels.Captions.Select(c => new CaptionRow { Caption = c })));
        var pixels = output.GetColumn<float[]>("Pixels").ToArray();
        var images = output.GetColumn<MLImage>("GeneratedImage").ToArray();
        var want = _m.TorchImages(OnnxTestModels.Captions, seed: 7);
        float max = pixels.Zip(want).Max(p => MaxDiff(p.First, p.Second));
        OrtTestRun.Record($"random text->image transformer batch{batchSize} image_{t.ImageSize}", max);
        Assert.True(max <= 1e-4f, $"images differ by {max}");
        Assert.All(images, i => Assert.Equal(128, i.Width));
        Assert.Equal("CPU", t.Provider);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Captioner_transformer_gives_TorchSharps_captions_and_scores(int beamWidth)
    {
        var rows = StreamTestData.Rows(1);
        using var t = _m.Ml.Transforms.MirrorGanOnnxCaptioner(new MirrorGanOnnxCaptionerOptions { ModelFolder = _m.Folder.Path, BeamWidth = beamWidth })
            .Fit(_m.Ml.Data.LoadFromEnumerable(rows));
        var output = t.Transform(_m.Ml.Data.LoadFromEnumerable(rows));
        var captions = output.GetColumn<string>("GeneratedCaption").ToArray();
        var scores = output.GetColumn<float>("CaptionScore").ToArray();
        using var scope = NewDisposeScope();
        var pixels = rows.SelectMany(r => Microsoft.ML.MirrorGan.Imaging.ImageTensor.ToChw(r.Image, StreamTestData.Size)).ToArray();
        var want = _m.Captioner.Generate(tensor(pixels, new long[] { rows.Length, 3, StreamTestData.Size, StreamTestData.Size }), beamWidth);
        Assert.Equal(want.Select(w => _m.Captioner.Vocabulary.Decode(w.Ids)), captions);
        float max = scores.Zip(want).Max(p => Math.Abs(p.First - p.Second.LogProbability));
        OrtTestRun.Record($"random captioner transformer beam{beamWidth} caption score", max);
        Assert.True(max <= 1e-4f, $"scores differ by {max}");
    }

    [Fact]
    public void Manifest_round_trips_and_lists_the_graph_signatures()
    {
        var loaded = MirrorGanOnnxManifest.Load(_m.Folder.Path);
        Assert.Equal(_m.Manifest.ToJson(), loaded.ToJson());
        Assert.Equal(_m.TextEmbed.Vocabulary.Words, loaded.TextEncoder!.Vocabulary.Words);
        Assert.Equal(_m.TextEmbed.Vocabulary, loaded.TextEncoder.Vocabulary.ToVocabulary());
        Assert.Equal(7, loaded.TextEncoder.MaxWords);
        Assert.Equal(new[] { "token_ids", "lengths" }, loaded.TextEncoder.Inputs.Select(i => i.Name));
        Assert.Equal(new[] { "batch", "words" }, loaded.TextEncoder.Inputs[0].Shape);
        Assert.Equal(new[] { "z", "ca_noise", "word_features", "pad_mask", "sentence_feature" }, loaded.Generator!.Inputs.Select(i => i.Name));
        Assert.Equal("bool", loaded.Generator.Inputs[3].ElementType);
        Assert.Equal(new[] { "image_64", "image_128", "attention_128" }, loaded.Generator.Outputs.Select(o => o.Name));
        Assert.Equal(new[] { "token", "image_feature", "h", "c" }, loaded.Captioner!.DecoderInputs.Select(i => i.Name));
        Assert.Equal(17, loaded.Opset);
        Assert.Contains("Microsoft.ML.MirrorGan", loaded.Versions.Keys);
    }

    [Fact]
    public void Export_from_a_saved_and_loaded_model_zip_writes_its_parts()
    {
        using var dir = TestPaths.NewTempDir();
        var chain = new TransformerChain<ITransformer>(_m.TextEmbed, _m.Captioner);
        var data = _m.Ml.Data.LoadFromEnumerable(StreamTestData.Rows(1));
        _m.Ml.Model.Save(chain, data.Schema, dir.File("model.zip"));
        var manifest = _m.Ml.Model.ExportMirrorGanToOnnx(dir.File("model.zip"), dir.File("onnx"));
        Assert.NotNull(manifest.TextEncoder);
        Assert.NotNull(manifest.Captioner);
        Assert.Null(manifest.Generator);   // no generation transformer in this chain
        Assert.True(File.Exists(dir.File("onnx/text_encoder.onnx")));
        Assert.True(File.Exists(dir.File("onnx/stream_decoder_step.onnx")));
        var e = Assert.Throws<ArgumentException>(() => new TransformerChain<ITransformer>().ExportToOnnx(dir.File("none")));
        Assert.Contains("no MirrorGAN part", e.Message);
    }

    [Fact]
    public void Missing_or_damaged_files_fail_with_the_file_named()
    {
        using var dir = TestPaths.NewTempDir();
        var missing = Assert.Throws<FileNotFoundException>(() => MirrorGanOnnxTextToImage.Open(dir.Path));
        Assert.Contains("mirrorgan.onnx.json", missing.Message);
        Assert.Contains("ExportToOnnx", missing.Message);

        foreach (var f in Directory.GetFiles(_m.Folder.Path)) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        File.Delete(dir.File("generator.onnx"));
        var noGraph = Assert.Throws<FileNotFoundException>(() => MirrorGanOnnxTextToImage.Open(dir.Path));
        Assert.Contains("generator.onnx", noGraph.Message);

        File.WriteAllBytes(dir.File("generator.onnx"), new byte[] { 1, 2, 3, 4, 5 });
        var damaged = Assert.Throws<InvalidDataException>(() => MirrorGanOnnxTextToImage.Open(dir.Path));
        Assert.Contains("generator.onnx", damaged.Message);

        // A graph of another kind under the generator's name: refused by the manifest's SHA-256 before ONNX Runtime parses it ...
        File.Copy(dir.File("stream_encoder.onnx"), dir.File("generator.onnx"), overwrite: true);
        Assert.Contains("does not match the SHA-256", Assert.Throws<InvalidDataException>(() => MirrorGanOnnxTextToImage.Open(dir.Path)).Message);
        // ... and, in an export without hashes (older manifests), by its inputs.
        var manifest = MirrorGanOnnxManifest.Load(dir.Path);
        manifest.Sha256 = null;
        manifest.Save(dir.Path);
        var wrong = Assert.Throws<InvalidDataException>(() => MirrorGanOnnxTextToImage.Open(dir.Path));
        Assert.Contains("'z'", wrong.Message);

        File.WriteAllText(dir.File("mirrorgan.onnx.json"), "{ not json");
        Assert.Contains("mirrorgan.onnx.json", Assert.Throws<InvalidDataException>(() => MirrorGanOnnxTextToImage.Open(dir.Path)).Message);

        // Through the catalog: the estimator's Fit opens the folder.
        var est = _m.Ml.Transforms.MirrorGanOnnxCaptioner(dir.File("nowhere"));
        Assert.Throws<FileNotFoundException>(() => est.Fit(_m.Ml.Data.LoadFromEnumerable(StreamTestData.Rows(1))));
    }

    [Fact]
    public void Empty_caption_fails_with_row_and_column()
    {
        using var t = TextToImage();
        var output = t.Transform(_m.Ml.Data.LoadFromEnumerable(new[] { new CaptionRow { Caption = "a red bar" }, new CaptionRow { Caption = "  " } }));
        var e = Assert.Throws<InvalidOperationException>(() => output.GetColumn<float[]>("Pixels").ToArray());
        Assert.Contains("row 1", e.Message);
        Assert.Contains("'Caption'", e.Message);
    }

    [Fact]
    public void Gpu_request_on_a_cpu_only_build_falls_back_or_fails_as_configured()
    {
        // The tests reference the CPU ONNX Runtime package, so CUDA is never available here.
        using (var t = TextToImage(session: new OnnxSessionOptions { GpuDeviceId = 0, FallbackToCpu = true }))
        {
            Assert.Equal("CPU", t.Provider);
            var pixels = t.Model.Generate(new[] { "a red bar" }, seed: 7);
            Assert.True(MaxDiff(pixels[0], _m.TorchImages(new[] { "a red bar" }, 7)[0]) <= 1e-4f);
        }
        var e = Assert.Throws<InvalidOperationException>(() => MirrorGanOnnxCaptioner.Open(_m.Folder.Path, new OnnxSessionOptions { GpuDeviceId = 0, FallbackToCpu = false }));
        Assert.Contains("GpuDeviceId = 0", e.Message);
        Assert.Contains("FallbackToCpu", e.Message);
    }

    [Fact]
    public void Eight_threads_give_the_same_images_as_sequential_scoring()
    {
        using var t = TextToImage();
        var captions = OnnxTestModels.Captions;
        PixelsRow Predict(PredictionEngine<CaptionRow, PixelsRow> engine, string c) => engine.Predict(new CaptionRow { Caption = c });
        var sequentialEngine = _m.Ml.Model.CreatePredictionEngine<CaptionRow, PixelsRow>(t);
        var sequential = Enumerable.Range(0, 32).Select(i => Predict(sequentialEngine, captions[i % captions.Length]).Pixels).ToArray();
        var concurrent = new float[32][];
        var threads = Enumerable.Range(0, 8).Select(k => new Thread(() =>
        {
            // PredictionEngine is per thread; the transformer and its ONNX sessions are shared.
            var engine = _m.Ml.Model.CreatePredictionEngine<CaptionRow, PixelsRow>(t);
            for (int i = k; i < 32; i += 8) concurrent[i] = Predict(engine, captions[i % captions.Length]).Pixels;
        })).ToList();
        threads.ForEach(x => x.Start());
        threads.ForEach(x => x.Join());
        for (int i = 0; i < 32; i++) Assert.Equal(sequential[i], concurrent[i]);
    }

    [Fact]
    public void Generator_graph_runs_through_ApplyOnnxModel()
    {
        var g = _m.GeneratorOptions;
        int d = g.TextDim, w = 7;
        var f = _m.TextEmbed.EncodeCaptions(OnnxTestModels.Captions);
        var rows = OnnxTestModels.Captions.Select((c, i) =>
        {
            var noise = new float[g.ZDim + g.ConditionDim];
            Microsoft.ML.MirrorGan.Glam.GenerationNoise.Fill(7, noise);
            return new GeneratorInput
            {
                z = noise.Take(g.ZDim).ToArray(),
                ca_noise = noise.Skip(g.ZDim).ToArray(),
                word_features = f.WordFeatures[i],
                pad_mask = Enumerable.Range(0, w).Select(t => t >= f.WordCounts[i]).ToArray(),
                sentence_feature = f.SentenceFeatures[i],
            };
        }).ToArray();
        var pipeline = _m.Ml.Transforms.ApplyOnnxModel(
            outputColumnNames: new[] { "image_128" },
            inputColumnNames: new[] { "z", "ca_noise", "word_features", "pad_mask", "sentence_feature" },
            modelFile: Path.Combine(_m.Folder.Path, MirrorGanOnnxNames.GeneratorFile),
            shapeDictionary: new Dictionary<string, int[]>
            {
                ["z"] = new[] { 1, g.ZDim }, ["ca_noise"] = new[] { 1, g.ConditionDim }, ["word_features"] = new[] { 1, d, w },
                ["pad_mask"] = new[] { 1, w }, ["sentence_feature"] = new[] { 1, d },
            }, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100);
        var data = _m.Ml.Data.LoadFromEnumerable(rows, SchemaDefinition(g, d, w));
        var output = pipeline.Fit(data).Transform(data).GetColumn<float[]>("image_128").ToArray();
        var want = _m.TorchImages(OnnxTestModels.Captions, seed: 7);
        float max = output.Zip(want).Max(p => MaxDiff(p.First, p.Second));
        OrtTestRun.Record("random ApplyOnnxModel generator image_128", max);
        Assert.True(max <= 1e-4f, $"ApplyOnnxModel images differ by {max}");
    }

    private static SchemaDefinition SchemaDefinition(Microsoft.ML.MirrorGan.Glam.GlamNetworkOptions g, int d, int w)
    {
        var s = Microsoft.ML.Data.SchemaDefinition.Create(typeof(GeneratorInput));
        s["z"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, g.ZDim);
        s["ca_noise"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, g.ConditionDim);
        s["word_features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d * w);
        s["pad_mask"].ColumnType = new VectorDataViewType(BooleanDataViewType.Instance, w);
        s["sentence_feature"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        return s;
    }

#pragma warning disable IDE1006 // column names are the graph's input names
    private sealed class GeneratorInput
    {
        public float[] z { get; set; } = Array.Empty<float>();
        public float[] ca_noise { get; set; } = Array.Empty<float>();
        public float[] word_features { get; set; } = Array.Empty<float>();
        public bool[] pad_mask { get; set; } = Array.Empty<bool>();
        public float[] sentence_feature { get; set; } = Array.Empty<float>();
    }
#pragma warning restore IDE1006
}
