using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.TextEmbed;

/// <summary>Pads word-index captions into the tensors <see cref="TextEncoder"/> reads.</summary>
public static class CaptionBatch
{
    /// <summary>
    /// Builds B×T_max int64 ids (padded with 0, the <c>&lt;end&gt;</c> index) and B int64 lengths. Every caption must
    /// have at least one word: packed sequences cannot hold empty ones.
    /// </summary>
    public static (Tensor Ids, Tensor Lengths) ToTensors(IReadOnlyList<int[]> captions, Device? device = null)
    {
        if (captions.Count == 0) throw new ArgumentException("A caption batch needs at least one caption.", nameof(captions));
        int tMax = 0;
        for (int i = 0; i < captions.Count; i++)
        {
            if (captions[i].Length == 0) throw new ArgumentException($"Caption {i} of the batch has no words; packed sequences need at least one.", nameof(captions));
            tMax = Math.Max(tMax, captions[i].Length);
        }
        var ids = new long[captions.Count * tMax];
        var lengths = new long[captions.Count];
        for (int i = 0; i < captions.Count; i++)
        {
            for (int t = 0; t < captions[i].Length; t++) ids[i * tMax + t] = captions[i][t];
            lengths[i] = captions[i].Length;
        }
        var idsTensor = tensor(ids, new long[] { captions.Count, tMax });
        var lengthTensor = tensor(lengths);
        return device is null || device.type == TorchSharp.DeviceType.CPU ? (idsTensor, lengthTensor) : (idsTensor.to(device), lengthTensor);
    }
}
