using System.Text;
using Microsoft.ML.MirrorGan.Import;
using Microsoft.ML.MirrorGan.Import.Pickle;

namespace Microsoft.ML.MirrorGan.Tests.Import;

public class RestrictedUnpicklerTests
{
    [Fact]
    public void Reads_the_python2_captions_pickle_into_a_vocabulary_without_unknown_token()
    {
        var vocabulary = PyTorchImport.LoadVocabulary(TestPaths.Fixture("PyTorch/captions.pickle"));
        Assert.Equal(11, vocabulary.Count);
        Assert.False(vocabulary.HasUnknownToken);
        Assert.Equal("<end>", vocabulary[0]);
        Assert.Equal(3, vocabulary.IndexOf("bird"));
        Assert.Equal(new[] { 1, 3, 5 }, vocabulary.Encode("A bird, red!"));
        Assert.Equal(new[] { 3 }, vocabulary.Encode("zebra bird"));          // unknown words are dropped, as the original
    }

    [Fact]
    public void A_global_reduce_payload_is_refused_before_anything_runs()
    {
        // cos\nsystem\n(S'touch /tmp/pwned'\ntR.  — the classic pickle exploit (protocol 0).
        var payload = Encoding.ASCII.GetBytes("cos\nsystem\n(S'touch /tmp/pwned'\ntR.");
        var ex = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(payload, "evil.pickle").Load());
        Assert.Contains("GLOBAL os.system is not allowed", ex.Message);
        Assert.Contains("evil.pickle", ex.Message);
        Assert.Contains("byte 0", ex.Message);
    }

    [Fact]
    public void A_reduce_of_an_allowed_name_is_refused_without_a_reduce_policy()
    {
        // protocol 2: PROTO 2, GLOBAL collections OrderedDict, EMPTY_TUPLE, REDUCE, STOP
        var bytes = new List<byte> { 0x80, 2 };
        bytes.AddRange(Encoding.ASCII.GetBytes("ccollections\nOrderedDict\n)R."));
        var policy = new PicklePolicy { AllowedGlobals = new HashSet<string> { "collections.OrderedDict" } };
        var ex = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(bytes.ToArray(), "x", policy).Load());
        Assert.Contains("REDUCE", ex.Message);
    }

    [Fact]
    public void Vocabulary_pickle_with_an_object_fails_with_the_name_of_the_global()
    {
        using var dir = TestPaths.NewTempDir();
        string path = dir.File("captions.pickle");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("(lp0\ncsubprocess\nPopen\np1\na."));
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchImport.LoadVocabulary(path));
        Assert.Contains("subprocess.Popen", ex.Message);
    }

    [Fact]
    public void Truncated_pickle_is_reported_as_truncated()
    {
        var full = File.ReadAllBytes(TestPaths.Fixture("PyTorch/captions.pickle"));
        var ex = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler(full[..(full.Length / 2)], "half").Load());
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Legacy_and_zip_state_dicts_hold_the_same_tensors()
    {
        using var legacy = TorchStateDict.Load(TestPaths.Fixture("PyTorch/text_encoder_legacy.pth"));
        using var zip = TorchStateDict.Load(TestPaths.Fixture("PyTorch/text_encoder_zip.pth"));
        Assert.Equal(TorchCheckpointFormat.Legacy, legacy.Format);
        Assert.Equal(TorchCheckpointFormat.Zip, zip.Format);
        Assert.Equal(zip.Names.Order(), legacy.Names.Order());
        foreach (var name in legacy.Names)
            Assert.True(legacy[name].equal(zip[name]).all().item<bool>(), name);
    }

    [Fact]
    public void Legacy_bn_counters_are_int64()
    {
        using var sd = TorchStateDict.Load(TestPaths.Fixture("PyTorch/netG_legacy.pth"));
        var counter = sd["h_net1.fc.1.num_batches_tracked"];
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, counter.dtype);
        Assert.Equal(17L, counter.item<long>());
    }
}
