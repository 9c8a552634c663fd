using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Tests.StreamCaptioner;
using Microsoft.ML.MirrorGan.Tests.Glam;
using Microsoft.ML.MirrorGan.Tests.Onnx;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>Runs <paramref name="work"/> on 8 threads released together by a barrier, and rethrows the first failure.</summary>
internal static class EightThreads
{
    public const int Count = 8;

    public static T[] Run<T>(Func<int, T> work)
    {
        var results = new T[Count];
        var errors = new Exception?[Count];
        using var barrier = new Barrier(Count);
        var threads = Enumerable.Range(0, Count).Select(t => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                results[t] = work(t);
            }
            catch (Exception e)
            {
                errors[t] = e;
            }
        })).ToList();
        threads.ForEach(x => x.Start());
        threads.ForEach(x => x.Join());
        var first = errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw new AggregateException("a scoring thread failed", first);
        return results;
    }
}

/// <summary>
/// Issue 11, concurrency on the TorchSharp path: one loaded chain TextEmbed → MirrorGan → StreamCaptioner (the saved and
/// reloaded model a service holds) scored from 8 threads at once, through <c>Transform</c> over per-thread data views and
/// through per-thread PredictionEngines, must give exactly what sequential scoring gives (features, pixels, captions).
/// </summary>
[Collection("Glam trainer")]
public class RuntimeTorchConcurrencyTests : IClassFixture<GlamFixture>
{
    private readonly GlamFixture _f;
    private static (GlamFixture For, ITransformer Chain)? _loaded;

    public RuntimeTorchConcurrencyTests(GlamFixture fixture) => _f = fixture;

    public sealed class Output
    {
        public float[] SentenceFeature { get; set; } = Array.Empty<float>();
        public float[] WordFeatures { get; set; } = Array.Empty<float>();
        public float[] GeneratedPixels { get; set; } = Array.Empty<float>();
        public string GeneratedCaption { get; set; } = "";
        public float CaptionScore { get; set; }
    }

    private static readonly string[] Captions =
    {
        "a small red circle on the left on a white background", "a large blue square at the top on a black background",
        "a green triangle", "a small yellow square on the right",
    };

    /// <summary>Thread t's prompts: the captions with seeds of its own, so threads draw different images.</summary>
    private static MirrorGanTransformerTests.Prompt[] Prompts(int t) =>
        Captions.Select((c, i) => new MirrorGanTransformerTests.Prompt { Caption = c, Seed = 100 * t + i }).ToArray();

    private ITransformer Chain()
    {
        if (_loaded is { } l && ReferenceEquals(l.For, _f)) return l.Chain;
        var o = _f.Options(2);
        o.Columns = new MirrorGanColumns { SeedColumnName = "Seed", GeneratedPixelsColumnName = "GeneratedPixels" };
        var trainer = _f.Trainer(o);
        var chain = trainer.Fit(_f.Train);
        using var dir = TestPaths.NewTempDir();
        _f.Ml.Model.Save(chain, _f.Ml.Data.LoadFromEnumerable(Prompts(0)).Schema, dir.File("model.zip"));
        var loaded = _f.Ml.Model.Load(dir.File("model.zip"), out _);
        _loaded = (_f, loaded);
        return loaded;
    }

    private static void AssertSame(Output[] want, Output[] got)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            Assert.Equal(want[i].SentenceFeature, got[i].SentenceFeature);
            Assert.Equal(want[i].WordFeatures, got[i].WordFeatures);
            Assert.Equal(want[i].GeneratedPixels, got[i].GeneratedPixels);
            Assert.Equal(want[i].GeneratedCaption, got[i].GeneratedCaption);
            Assert.Equal(want[i].CaptionScore, got[i].CaptionScore);
        }
    }

    [Fact]
    public void Eight_threads_transforming_their_own_data_views_match_sequential_scoring()
    {
        var chain = Chain();
        Output[] Score(int t) =>
            _f.Ml.Data.CreateEnumerable<Output>(chain.Transform(_f.Ml.Data.LoadFromEnumerable(Prompts(t))), reuseRowObject: false).ToArray();
        var sequential = Enumerable.Range(0, EightThreads.Count).Select(Score).ToArray();
        Assert.NotEqual(sequential[0][0].GeneratedPixels, sequential[1][0].GeneratedPixels); // the threads' work differs
        for (int round = 0; round < 2; round++)
        {
            var concurrent = EightThreads.Run(Score);
            for (int t = 0; t < EightThreads.Count; t++) AssertSame(sequential[t], concurrent[t]);
        }
    }

    [Fact]
    public void Eight_threads_with_their_own_prediction_engines_match_sequential_scoring()
    {
        var chain = Chain();
        var engine = _f.Ml.Model.CreatePredictionEngine<MirrorGanTransformerTests.Prompt, Output>(chain);
        var sequential = Enumerable.Range(0, EightThreads.Count).Select(t => Prompts(t).Select(engine.Predict).ToArray()).ToArray();
        for (int round = 0; round < 2; round++)
        {
            var concurrent = EightThreads.Run(t =>
            {
                // PredictionEngine is not thread-safe (it reuses its row objects): one per thread, the model shared.
                var own = _f.Ml.Model.CreatePredictionEngine<MirrorGanTransformerTests.Prompt, Output>(chain);
                return Prompts(t).Select(own.Predict).ToArray();
            });
            for (int t = 0; t < EightThreads.Count; t++) AssertSame(sequential[t], concurrent[t]);
        }
    }
}

/// <summary>
/// Issue 11, concurrency on the ONNX Runtime path: the text-to-image transformer through <c>Transform</c> over per-thread
/// data views, and the captioner through per-thread PredictionEngines (OnnxServingTests covers text-to-image engines).
/// </summary>
public class RuntimeOnnxConcurrencyTests : IClassFixture<OnnxTestModels>
{
    private readonly OnnxTestModels _m;

    public RuntimeOnnxConcurrencyTests(OnnxTestModels models) => _m = models;

    private sealed class CaptionRow
    {
        public string Caption { get; set; } = "";
    }

    private sealed class PixelsRow
    {
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void Eight_threads_transforming_with_the_ONNX_generator_match_sequential_scoring()
    {
        using var t = _m.Ml.Transforms.MirrorGanOnnxTextToImage(new MirrorGanOnnxTextToImageOptions
        {
            ModelFolder = _m.Folder.Path, OutputPixelsColumnName = "Pixels", Seed = 7, BatchSize = 3,
        }).Fit(_m.Ml.Data.LoadFromEnumerable(new[] { new CaptionRow() }));
        float[][] Score(int k)
        {
            var rows = OnnxTestModels.Captions.Skip(k % 4).Select(c => new CaptionRow { Caption = c }).ToArray();
            return t.Transform(_m.Ml.Data.LoadFromEnumerable(rows)).GetColumn<float[]>("Pixels").ToArray();
        }
        var sequential = Enumerable.Range(0, EightThreads.Count).Select(Score).ToArray();
        var concurrent = EightThreads.Run(Score);
        for (int k = 0; k < EightThreads.Count; k++) Assert.Equal(sequential[k], concurrent[k]);
    }

    [Fact]
    public void Eight_threads_with_ONNX_captioner_prediction_engines_match_sequential_scoring()
    {
        var rows = StreamTestData.Rows(1);
        using var t = _m.Ml.Transforms.MirrorGanOnnxCaptioner(new MirrorGanOnnxCaptionerOptions { ModelFolder = _m.Folder.Path, BeamWidth = 2 })
            .Fit(_m.Ml.Data.LoadFromEnumerable(rows));
        var engine = _m.Ml.Model.CreatePredictionEngine<StreamTestData.ImageOnly, StreamTestData.Prediction>(t);
        var sequential = rows.Select(r => engine.Predict(new StreamTestData.ImageOnly { Image = r.Image })).ToArray();
        var concurrent = EightThreads.Run(k =>
        {
            var own = _m.Ml.Model.CreatePredictionEngine<StreamTestData.ImageOnly, StreamTestData.Prediction>(t);
            var mine = StreamTestData.Rows(1); // the thread's own images
            return mine.Select(r => own.Predict(new StreamTestData.ImageOnly { Image = r.Image })).ToArray();
        });
        foreach (var result in concurrent)
        {
            Assert.Equal(sequential.Select(p => p.GeneratedCaption), result.Select(p => p.GeneratedCaption));
            Assert.Equal(sequential.Select(p => p.CaptionScore), result.Select(p => p.CaptionScore));
        }
    }
}
