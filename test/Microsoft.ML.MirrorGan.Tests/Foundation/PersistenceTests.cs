using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.TestSupport;

namespace Microsoft.ML.MirrorGan.Tests.Foundation;

public class PersistenceTests
{
    private const int InSize = 5, OutSize = 3;

    public sealed class Row
    {
        public string Id { get; set; } = "";

        [VectorType(InSize)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class Prediction
    {
        [VectorType(OutSize)]
        public float[] Projected { get; set; } = Array.Empty<float>();
    }

    private static Row[] Rows(int n)
    {
        var rand = new Random(7);
        return Enumerable.Range(0, n).Select(i => new Row
        {
            Id = $"row{i}",
            Features = Enumerable.Range(0, InSize).Select(_ => (float)(rand.NextDouble() * 2 - 1)).ToArray(),
        }).ToArray();
    }

    private static float[][] Column(IDataView view, string name) => view.GetColumn<float[]>(name).ToArray();

    [Fact]
    public void Transform_maps_in_batches_and_passes_other_columns_through()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(10));
        var t = new TorchLinearTransformer(ml, "Projected", "Features", InSize, OutSize, seed: 3);
        var output = t.Transform(data);

        var ids = output.GetColumn<string>("Id").ToArray();
        var projected = Column(output, "Projected");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"row{i}"), ids);
        Assert.Equal(10, projected.Length);
        Assert.All(projected, v => Assert.Equal(OutSize, v.Length));
        Assert.Equal(3, t.ForwardCalls); // 10 rows at batch size 4 -> 4 + 4 + 2
        // Rows differ, so the batch did not smear one row's output over others.
        Assert.NotEqual(projected[0], projected[1]);
    }

    [Fact]
    public void PredictionEngine_matches_Transform_row_by_row()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(6);
        var t = new TorchLinearTransformer(ml, "Projected", "Features", InSize, OutSize, seed: 3);
        var expected = Column(t.Transform(ml.Data.LoadFromEnumerable(rows)), "Projected");
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(t);
        for (int i = 0; i < rows.Length; i++)
            Assert.Equal(expected[i], engine.Predict(rows[i]).Projected);
    }

    [Fact]
    public void Saved_model_loads_in_process_and_in_a_fresh_process_with_identical_output()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(9));
        // A chain with a stock ML.NET transformer in front, as users compose them.
        var model = new TransformerChain<ITransformer>(
            ml.Transforms.CopyColumns("FeaturesCopy", "Features").Fit(data),
            new TorchLinearTransformer(ml, "Projected", "Features", InSize, OutSize, seed: 11));
        var expected = Column(model.Transform(data), "Projected");

        using var dir = TestPaths.NewTempDir();
        string zip = dir.File("model.zip"), input = dir.File("input.idv"), output = dir.File("output.idv");
        ml.Model.Save(model, data.Schema, zip);
        using (var archive = ZipFile.OpenRead(zip))
            Assert.Contains(archive.Entries, e => e.FullName.EndsWith("Net.bin", StringComparison.Ordinal));

        var reloaded = ml.Model.Load(zip, out var schema);
        Assert.Equal(expected, Column(reloaded.Transform(data), "Projected"));
        Assert.NotNull(schema.GetColumnOrNull("Features"));

        using (var s = File.Create(input)) ml.Data.SaveAsBinary(data, s);
        var (code, log) = ChildProcess.RunDotnet(TestPaths.ModelLoadHost, TimeSpan.FromMinutes(2), zip, input, output);
        Assert.True(code == 0, log);
        var fresh = Column(ml.Data.LoadFromBinary(output), "Projected");
        Assert.Equal(expected, fresh); // bit-identical
    }

    [Fact]
    public void Missing_input_column_is_named_in_the_error()
    {
        var ml = new MLContext();
        var t = new TorchLinearTransformer(ml, "Projected", "Pixels", InSize, OutSize, seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(2));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Transform(data));
        Assert.Contains("'Pixels'", e.Message);
        Assert.Contains("'Features'", e.Message); // lists what the data has
    }

    [Fact]
    public void Wrong_input_type_is_named_in_the_error()
    {
        var ml = new MLContext();
        var t = new TorchLinearTransformer(ml, "Projected", "Id", InSize, OutSize, seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Transform(ml.Data.LoadFromEnumerable(Rows(2))));
        Assert.Contains("'Id'", e.Message);
        Assert.Contains("Vector<Single, 5>", e.Message);
    }

    [Fact]
    public void A_zip_missing_the_weights_entry_fails_with_the_entry_name()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(2));
        var t = new TorchLinearTransformer(ml, "Projected", "Features", InSize, OutSize, seed: 1);
        using var dir = TestPaths.NewTempDir();
        string zip = dir.File("model.zip");
        ml.Model.Save(t, data.Schema, zip);
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
            archive.Entries.First(e => e.FullName.EndsWith("Net.bin", StringComparison.Ordinal)).Delete();

        var e = Assert.ThrowsAny<Exception>(() => ml.Model.Load(zip, out _));
        var all = string.Join(" | ", Unwrap(e).Select(x => x.Message));
        Assert.Contains("Net.bin", all);
    }

    private static IEnumerable<Exception> Unwrap(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException) yield return x;
    }
}
