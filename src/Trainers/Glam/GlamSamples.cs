using Microsoft.ML.MirrorGan.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Periodic sample grids: the first distinct training captions (rows) × four fixed noise draws (columns), drawn with the
/// EMA weights in eval mode, final stage. Noise comes from seeded generators, so torch's global RNG (and therefore an
/// exact resume) is untouched.
/// </summary>
internal sealed class GlamSamples
{
    private const int NoiseColumns = 4;
    private readonly List<int> _rows;
    private readonly GlamTrainingData _data;
    private readonly Device _device;

    public GlamSamples(GlamTrainingData data, int captions, GlamNetworkOptions network, Device device)
    {
        _data = data;
        _device = device;
        _rows = new List<int>();
        var seen = new HashSet<string>();
        for (int i = 0; i < data.Count && _rows.Count < captions; i++)
            if (seen.Add(data.Captions[i])) _rows.Add(i);
    }

    /// <summary>The captions of the grid's rows.</summary>
    public IEnumerable<string> Captions => _rows.Select(r => _data.Captions[r]);

    public void Write(GlamTrainingState state, string path)
    {
        var g = state.Generator;
        var tiles = new List<float[]>();
        int size = g.Options.FinalSize;
        using (var scope = torch.NewDisposeScope())
        using (var noGrad = torch.no_grad())
        using (state.Ema.Apply())
        {
            g.eval();
            try
            {
                // Batch() sorts by length; keep the grid's order by generating one caption row at a time.
                foreach (var r in _rows)
                {
                    var batch = _data.Batch(Enumerable.Repeat(r, NoiseColumns).ToArray(), _device);
                    var (z, eps) = MirrorGanTransformer.SeededNoise(Enumerable.Range(0, NoiseColumns).ToArray(), g.Options.ZDim, g.Options.ConditionDim);
                    var output = g.Generate(z.to(_device), eps.to(_device), batch.Sentence, batch.Words, batch.Mask);
                    var img = output.Output.Images[^1].cpu().contiguous().data<float>().ToArray();
                    int per = img.Length / NoiseColumns;
                    for (int k = 0; k < NoiseColumns; k++) tiles.Add(img.AsSpan(k * per, per).ToArray());
                }
            }
            finally
            {
                g.train();
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, ImageGrid.ToPng(tiles, size, NoiseColumns));
    }
}
