using Microsoft.ML.MirrorGan.Backbones;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Imaging;

public class SmallCnnBackboneTests
{
    [Theory]
    [InlineData(64, 8, 32, 64)]
    [InlineData(32, 4, 8, 16)]
    public void Outputs_an_8x8_region_map_and_a_pooled_global_feature(int size, int width, int regionChannels, int globalChannels)
    {
        using var scope = NewDisposeScope();
        using var net = new SmallCnnBackbone(size, width);
        var (regions, global) = net.call(rand(2, 3, 48, 48) * 2 - 1); // resized inside
        Assert.Equal(new long[] { 2, regionChannels, 8, 8 }, regions.shape);
        Assert.Equal(new long[] { 2, globalChannels }, global.shape);
        Assert.Equal(regionChannels, net.RegionChannels);
        Assert.Equal(globalChannels, net.GlobalChannels);
        Assert.Equal(net.Kind, SmallCnnBackbone.FromKind(net.Kind).Kind);
    }
}
