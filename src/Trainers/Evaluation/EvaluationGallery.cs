using System.Net;
using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.MirrorGan.Imaging;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// The page a person reads a run from: per prompt set, each prompt, its generated image, its re-caption and the scorer's
/// verdict (<c>gallery.html</c> with the images in <c>images/</c>), and the same images as one <c>grid.png</c>, 8 per row.
/// </summary>
internal sealed class EvaluationGallery
{
    private readonly List<(string Set, string Prompt, MLImage Image, string Caption, string Verdict)> _items = new();

    public void Add(string set, string prompt, MLImage image, string caption, string verdict) => _items.Add((set, prompt, image, caption, verdict));

    public void Write(string folder)
    {
        string imageFolder = Path.Combine(folder, "images");
        Directory.CreateDirectory(imageFolder);
        var html = new StringBuilder("<!doctype html><meta charset=\"utf-8\"><title>MirrorGAN QuickStart</title>")
            .Append("<style>body{font-family:sans-serif}td{padding:4px;vertical-align:middle}img{image-rendering:pixelated;width:128px}</style>")
            .Append("<h1>MirrorGAN QuickStart gallery</h1><p>Prompt → generated image (EMA generator) → STREAM re-caption; the Shapes scorer's verdict per attribute.</p>");
        var tiles = new List<float[]>();
        int size = _items.Count > 0 ? _items[0].Image.Width : 64;
        foreach (var group in _items.GroupBy(i => i.Set))
        {
            html.Append($"<h2>{WebUtility.HtmlEncode(group.Key)}</h2><table><tr><th>prompt</th><th>image</th><th>re-caption</th><th>scorer</th></tr>");
            int k = 0;
            foreach (var item in group)
            {
                string name = $"{group.Key}_{k++}.png";
                var chw = ImageTensor.ToChw(item.Image, size);
                File.WriteAllBytes(Path.Combine(imageFolder, name), ImageTensor.ToPng(chw, size));
                tiles.Add(chw);
                html.Append($"<tr><td>{WebUtility.HtmlEncode(item.Prompt)}</td><td><img src=\"images/{name}\"></td><td>{WebUtility.HtmlEncode(item.Caption)}</td><td>{WebUtility.HtmlEncode(item.Verdict)}</td></tr>");
            }
            html.Append("</table>");
        }
        File.WriteAllText(Path.Combine(folder, "gallery.html"), html.ToString());
        if (tiles.Count > 0) File.WriteAllBytes(Path.Combine(folder, "grid.png"), ImageGrid.ToPng(tiles, size, 8));
    }
}
