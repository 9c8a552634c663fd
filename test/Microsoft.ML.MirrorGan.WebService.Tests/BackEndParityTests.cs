using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Onnx;
using Microsoft.ML.MirrorGan.Stem;

namespace Microsoft.ML.MirrorGan.WebService.Tests;

/// <summary>
/// One noise function for both back ends (<see cref="GenerationNoise"/>): the same caption and seed give the same image
/// from the saved <c>model.zip</c> (TorchSharp) and from its ONNX export (ONNX Runtime), within 1e-4.
/// </summary>
[Collection("Web")]
public sealed class BackEndParityTests
{
    private readonly TinyModelFixture _model;

    public BackEndParityTests(TinyModelFixture model) => _model = model;

    private sealed class Row
    {
        public string Caption { get; set; } = "";
        public int Seed { get; set; }
    }

    [Fact]
    public void Same_caption_and_seed_give_the_same_image_from_model_zip_and_from_its_onnx_export()
    {
        var ml = new MLContext(seed: 0);
        var chain = (TransformerChain<ITransformer>)ml.Model.Load(_model.ModelPath, out _);
        var text = chain.OfType<TextEmbedTransformer>().Single();
        var generator = chain.OfType<MirrorGanTransformer>().Single().With(new MirrorGanColumns { Seed = "Seed", Pixels = "Pixels" });
        var rows = _model.Captions.Take(3).SelectMany(c => new[] { 7, 8 }.Select(s => new Row { Caption = c, Seed = s })).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var torchPixels = generator.Transform(text.Transform(data)).GetColumn<float[]>("Pixels").ToArray();

        using var onnx = MirrorGanOnnxTextToImage.Open(_model.OnnxFolder);
        var onnxPixels = onnx.Generate(rows.Select(r => onnx.Tokenize(r.Caption)).ToArray(), rows.Select(r => r.Seed).ToArray());

        for (int i = 0; i < rows.Length; i++)
        {
            float diff = torchPixels[i].Zip(onnxPixels[i]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(diff <= 1e-4f, $"row {i} ('{rows[i].Caption}', seed {rows[i].Seed}): max |TorchSharp − ONNX| = {diff}");
        }
        // The seed matters: the same caption with another seed is another image.
        Assert.True(torchPixels[0].Zip(torchPixels[1]).Max(p => Math.Abs(p.First - p.Second)) > 1e-2f);
    }
}
