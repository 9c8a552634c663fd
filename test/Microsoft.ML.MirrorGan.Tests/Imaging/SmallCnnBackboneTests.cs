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

    [Fact]
    public void The_flat_global_feature_sees_where_things_are_and_round_trips_its_kind()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var net = new SmallCnnBackbone(32, 4, flatGlobal: true);
        net.eval();
        Assert.Equal("small-cnn:32:4:flat", net.Kind);
        Assert.True(SmallCnnBackbone.FromKind(net.Kind).FlatGlobal);
        Assert.Throws<InvalidDataException>(() => SmallCnnBackbone.FromKind("small-cnn:32:4:pooled"));
        // The same blob on the left and on the right: averaging a (nearly) mirrored map keeps the features closer (only the
        // zero padding tells the sides apart); the flat head weighs each cell separately and moves them farther apart.
        var left = full(1, 3, 32, 32, -1f);
        left[TensorIndex.Colon, TensorIndex.Colon, 12..20, 2..10] = 1f;
        var right = left.flip(3);
        using var pooled = new SmallCnnBackbone(32, 4);
        pooled.eval();
        double Distance(SmallCnnBackbone b)
        {
            var (_, a) = b.call(left);
            var (_, c) = b.call(right);
            return ((a - c).norm() / (a.norm() + c.norm())).item<float>();
        }
        var (regions, global) = net.call(left);
        Assert.Equal(new long[] { 1, 8, 8, 8 }, regions.shape);
        Assert.Equal(new long[] { 1, 16 }, global.shape);
        Assert.True(Distance(net) > 1.3 * Distance(pooled), $"flat {Distance(net)} vs pooled {Distance(pooled)}");
    }
}
