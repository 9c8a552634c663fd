using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML.MirrorGan.Tests.Data;

public class PickleStringListTests
{
    [Theory]
    [InlineData(DatasetFixtures.Protocol2Pickle)]
    [InlineData(DatasetFixtures.Protocol4Pickle)]
    public void ReadsAListOfStrings(string base64)
    {
        var names = PickleStringList.Parse(Convert.FromBase64String(base64), "fixture");
        Assert.Equal(new[] { DatasetFixtures.Bird1, DatasetFixtures.Bird2 }, names);
    }

    [Fact]
    public void RefusesCodeExecutionOpcodes_NamingOpcodeAndOffset()
    {
        var e = Assert.Throws<InvalidDataException>(() => PickleStringList.Parse(Convert.FromBase64String(DatasetFixtures.MaliciousPickle), "evil.pickle"));
        Assert.Contains("evil.pickle", e.Message);
        Assert.Contains("byte offset 5", e.Message);
        Assert.Contains("0x63 ('c')", e.Message);
    }

    [Fact]
    public void TruncatedOrOversizedInputIsAnError()
    {
        var bytes = Convert.FromBase64String(DatasetFixtures.Protocol2Pickle);
        var t = Assert.Throws<InvalidDataException>(() => PickleStringList.Parse(bytes[..20], "cut.pickle"));
        Assert.Contains("cut.pickle", t.Message);
        Assert.Contains("truncated", t.Message);
        // BINUNICODE announcing 0x7fffffff bytes.
        var huge = new byte[] { 0x80, 2, (byte)']', (byte)'X', 0xFF, 0xFF, 0xFF, 0x7F };
        Assert.Contains("limit", Assert.Throws<InvalidDataException>(() => PickleStringList.Parse(huge, "huge")).Message);
        using var dir = TestPaths.NewTempDir();
        Assert.Contains(dir.File("no.pickle"), Assert.Throws<FileNotFoundException>(() => PickleStringList.Read(dir.File("no.pickle"))).Message);
    }
}
