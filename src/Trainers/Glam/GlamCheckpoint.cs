using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// Everything needed to continue training exactly: iteration, torch's RNG state, G (parameters and BN buffers), G's EMA,
/// every D, and every Adam state. One binary file, written atomically: to a temporary file in the same folder, flushed
/// to disk, then renamed over the old one, so a crash or a full disk never leaves a half-written checkpoint.
/// Batch order needs no state: epoch e's permutation is a pure function of (seed, e).
/// </summary>
internal static class GlamCheckpoint
{
    private const string Magic = "MirrorGanCheckpoint/1";
    public const string FileName = "checkpoint.bin";

    /// <summary>Test hook: wraps the temporary file's stream (e.g. to fail mid-write).</summary>
    internal static Func<Stream, Stream>? StreamWrapper;

    public static void Save(string path, GlamTrainingState state)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var stream = StreamWrapper?.Invoke(file) ?? file;
                using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    Write(w, state);
                    w.Flush();
                }
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void Write(BinaryWriter w, GlamTrainingState s)
    {
        w.Write(Magic);
        w.Write(s.Iteration);
        w.Write(s.Discriminators.Count);
        using (var rng = torch.get_rng_state())
        {
            var bytes = rng.data<byte>().ToArray();
            w.Write(bytes.Length);
            w.Write(bytes);
        }
        s.Generator.save(w);
        var averages = s.Ema.Averages;
        w.Write(averages.Count);
        foreach (var a in averages) WriteTensor(w, a);
        foreach (var d in s.Discriminators) d.save(w);
        s.GeneratorOptimizer.save_state_dict(w);
        foreach (var o in s.DiscriminatorOptimizers) o.save_state_dict(w);
    }

    /// <summary>
    /// Deletes temporary files a killed process left next to <paramref name="path"/> (a SIGKILL or power loss during a
    /// write leaves one; the checkpoint itself is never half-written). Returns how many were removed.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (var f in Directory.EnumerateFiles(folder, $".{Path.GetFileName(path)}.*.tmp"))
        {
            try { File.Delete(f); removed++; } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>The iteration a checkpoint file holds (reads only its header).</summary>
    public static int ReadIteration(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadString() != Magic) throw new InvalidDataException($"'{path}' is not a MirrorGAN checkpoint.");
        return r.ReadInt32();
    }

    /// <summary>Restores <paramref name="state"/> (already built with the same options) from <paramref name="path"/>; returns the iteration.</summary>
    public static int Load(string path, GlamTrainingState state)
    {
        using var file = File.OpenRead(path);
        using var r = new BinaryReader(file);
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException("it is not a MirrorGAN checkpoint");
            int iteration = r.ReadInt32();
            int stages = r.ReadInt32();
            if (stages != state.Discriminators.Count)
                throw new InvalidDataException($"it has {stages} discriminators but the options give {state.Discriminators.Count} stages");
            var rng = r.ReadBytes(r.ReadInt32());
            state.Generator.load(r, strict: true);
            int count = r.ReadInt32();
            var averages = state.Ema.Averages;
            if (count != averages.Count) throw new InvalidDataException($"it has {count} EMA tensors but G has {averages.Count} parameters");
            foreach (var a in averages) ReadTensor(r, a);
            foreach (var d in state.Discriminators) d.load(r, strict: true);
            state.GeneratorOptimizer.load_state_dict(r);
            foreach (var o in state.DiscriminatorOptimizers) o.load_state_dict(r);
            using (var t = torch.tensor(rng, dtype: ScalarType.Byte)) torch.set_rng_state(t);
            return iteration;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException(
                $"MirrorGanTrainer: checkpoint '{path}' cannot be resumed with these options ({e.Message}). " +
                "Use the options it was trained with, or delete it to start over.", e);
        }
    }

    private static void WriteTensor(BinaryWriter w, Tensor t)
    {
        var values = t.detach().cpu().contiguous().data<float>().ToArray();
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static void ReadTensor(BinaryReader r, Tensor target)
    {
        int n = r.ReadInt32();
        if (n != target.numel()) throw new InvalidDataException($"an EMA tensor has {n} values where G's has {target.numel()}");
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = r.ReadSingle();
        using var noGrad = torch.no_grad();
        using var src = torch.tensor(values).view(target.shape);
        target.copy_(src);
    }
}

/// <summary>The mutable training state a checkpoint holds.</summary>
internal sealed record GlamTrainingState(MirrorGanGeneratorNet Generator, ParameterEma Ema, IReadOnlyList<GlamDiscriminator> Discriminators,
    OptimizerHelper GeneratorOptimizer, IReadOnlyList<OptimizerHelper> DiscriminatorOptimizers)
{
    public int Iteration { get; set; }

    /// <summary>
    /// The first weight of G or a D that holds a NaN or an infinity ("G.stage0.conv.weight"), or null. Why: a finite
    /// loss can still give NaN gradients (a wrong native kernel did), which the optimiser writes into the weights one
    /// iteration before any loss shows it; a checkpoint written then would replace the last good one with NaN weights.
    /// </summary>
    public string? FirstNonFiniteWeight()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (name, p) in Generator.named_parameters())
            if (!p.isfinite().all().item<bool>()) return "G." + name;
        for (int i = 0; i < Discriminators.Count; i++)
            foreach (var (name, p) in Discriminators[i].named_parameters())
                if (!p.isfinite().all().item<bool>()) return $"D{i}.{name}";
        return null;
    }
}
