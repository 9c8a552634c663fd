using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan.Tests.TextEmbed;

public class DamsmTrainingTests
{
    [Fact]
    public void Loss_decreases_over_a_few_dozen_steps_on_Shapes()
    {
        var ml = new MLContext(1);
        var data = StemTestData.Shapes(ml, 64);
        var captions = data.GetColumn<string>("Caption").ToArray();
        var images = data.GetColumn<MLImage>("Image").ToArray();
        var classes = data.GetColumn<int>("ClassId").ToArray();
        var vocabulary = Vocabulary.Build(captions);
        var examples = captions.Select((c, i) => new DamsmExample(vocabulary.Encode(c).ToArray(), ImageTensor.ToChw(images[i], 32), classes[i])).ToArray();
        var options = StemTestData.TinyShapesOptions(epochs: 1);
        var trainer = new DamsmTrainer(options, vocabulary);
        var batches = Enumerable.Range(0, 4).Select(b => examples.Skip(16 * b).Take(16).ToArray()).ToArray();
        var losses = new List<double>();
        for (int step = 0; step < 36; step++)
        {
            var (w, s) = trainer.Step(batches[step % 4]);
            Assert.True(double.IsFinite(w) && double.IsFinite(s));
            losses.Add(w + s);
        }
        double first = losses.Take(4).Average(), last = losses.TakeLast(4).Average();
        Assert.True(last < 0.8 * first, $"loss went from {first:F3} to {last:F3}: {string.Join(", ", losses.Select(l => l.ToString("F2")))}");
    }
}
