using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Data;
using Microsoft.ML.MirrorGan.Evaluation;
using Microsoft.ML.MirrorGan.Imaging;
using Microsoft.ML.MirrorGan.TextEmbed;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.Experiments;

/// <summary>
/// Checks of the frozen text encoder and captioner that tell whether the GAN can learn an attribute at all
/// (<c>--diagnose</c>): the generator only sees an attribute through the sentence/word features, and the STREAM loss
/// only pushes it through what the captioner can tell apart on real images.
/// </summary>
internal static class Diagnostics
{
    private static readonly string[] Attributes = { "color", "shape", "size", "position" };

    public static Dictionary<string, object> Run(TextEmbedTransformer text, StreamCaptionerTransformer? captioner, int seed)
    {
        var result = new Dictionary<string, object> { ["text"] = ShapesTextSeparation.Measure(text).ToDictionary(x => x.Key, x => (object)x.Value) };
        if (captioner is not null) result["captioner_on_real"] = CaptionerOnReal(captioner, seed);
        return result;
    }

    /// <summary>
    /// The captioner on real held-out images: greedy captions scored per attribute, and — what the STREAM gradient uses —
    /// how often the canonical caption with the true value has a lower teacher-forced loss than every variant with another value.
    /// </summary>
    internal static Dictionary<string, object> CaptionerOnReal(StreamCaptionerTransformer captioner, int seed)
    {
        var data = new ShapesDataset(ShapesSplit.HeldOutSeeds(seed));
        var scenes = data.Scenes.Take(100).ToArray();
        int size = captioner.ImageSize, plane = 3 * size * size;
        var pixels = new float[scenes.Length * plane];
        var result = new Dictionary<string, object>();
        var images = scenes.Select(data.Render).ToArray();
        try
        {
            for (int i = 0; i < scenes.Length; i++) ImageTensor.ToChw(images[i], size, pixels.AsSpan(i * plane, plane));
            var captions = captioner.Caption(images, beamWidth: 1);
            var acc = ShapesCaptionAccuracy.Score(captions, scenes);
            result["greedy_caption_accuracy"] = new { color = acc.Color, shape = acc.Shape, size = acc.Size, position = acc.Position, example = captions[0] };
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
        var net = captioner.Network;
        var ranking = new Dictionary<string, double>();
        foreach (var attribute in Attributes)
        {
            int right = 0;
            for (int i = 0; i < scenes.Length; i++)
            {
                var o = scenes[i].Objects[0];
                int values = attribute switch { "color" => 6, "shape" => 3, "size" => 2, _ => 5 };
                int truth = attribute switch { "color" => (int)o.Color, "shape" => (int)o.Shape, "size" => (int)o.Size, _ => (int)o.Position };
                var losses = new double[values];
                for (int v = 0; v < values; v++)
                {
                    var (c, h, s, p) = ((int)o.Color, (int)o.Shape, (int)o.Size, (int)o.Position);
                    switch (attribute) { case "color": c = v; break; case "shape": h = v; break; case "size": s = v; break; default: p = v; break; }
                    string caption = $"a {ShapesVocabulary.SizeNames[s]} {ShapesVocabulary.ColorNames[c]} {ShapesVocabulary.ShapeNames[h]} " +
                        $"{ShapesVocabulary.PositionPhrases[p][0]} on a {ShapesVocabulary.BackgroundNames[(int)scenes[i].Background]} background";
                    var ids = captioner.Vocabulary.Encode(caption).ToArray();
                    using var scope = torch.NewDisposeScope();
                    using var noGrad = torch.no_grad();
                    net.eval();
                    var img = torch.tensor(pixels.AsSpan(i * plane, plane).ToArray(), new long[] { 1, 3, size, size });
                    var tokens = torch.tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, ids.Length });
                    losses[v] = net.Loss(img, tokens, new long[] { ids.Length }).item<float>();
                }
                if (Array.IndexOf(losses, losses.Min()) == truth) right++;
            }
            ranking[attribute] = right / (double)scenes.Length;
        }
        result["teacher_forced_ranking"] = ranking;
        return result;
    }
}
