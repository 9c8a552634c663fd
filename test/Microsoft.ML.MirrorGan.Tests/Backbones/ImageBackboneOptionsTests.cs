using Microsoft.ML.MirrorGan.Backbones;

namespace Microsoft.ML.MirrorGan.Tests.Backbones;

/// <summary>Typed backbone options: the saved kind string round-trips, and each builds the trunk it describes.</summary>
public class ImageBackboneOptionsTests
{
    [Theory]
    [InlineData("small-cnn:64:32", typeof(SmallCnnBackboneOptions))]
    [InlineData("small-cnn:32:8:flat", typeof(SmallCnnBackboneOptions))]
    [InlineData("resnet18-imagenet", typeof(ResNet18ImageNetBackboneOptions))]
    [InlineData("resnet:bottleneck:2:1-1-1-1:32", typeof(ResNetBackboneOptions))]
    [InlineData("resnet:basic:4:1-2-1-1:32", typeof(ResNetBackboneOptions))]
    [InlineData("inception-v3", typeof(InceptionV3BackboneOptions))]
    [InlineData("inception-v3:16", typeof(InceptionV3BackboneOptions))]
    public void A_saved_kind_reads_back_as_its_typed_options_and_writes_the_same_kind(string kind, Type expected)
    {
        var options = ImageBackboneOptions.FromKind(kind);
        Assert.IsType(expected, options);
        Assert.Equal(kind, options.Kind);
        Assert.Equal(kind, options.ToString());
    }

    [Fact]
    public void Typed_options_build_the_trunk_they_describe()
    {
        var small = new SmallCnnBackboneOptions { InputSize = 32, Width = 8, FlatGlobal = true };
        using var trunk = Assert.IsType<SmallCnnBackbone>(small.Create());
        Assert.Equal((32, 8, true), (trunk.InputSize, trunk.Width, trunk.FlatGlobal));
        Assert.Equal(small.Kind, trunk.Kind);

        var resnet = new ResNetBackboneOptions { Bottleneck = false, Width = 4, Blocks = new[] { 1, 1, 1, 1 }, InputSize = 32 };
        using var net = Assert.IsType<ResNetBackbone>(resnet.Create());
        Assert.Equal(resnet.Kind, net.Kind);
        Assert.Equal("resnet:bottleneck:64:3-8-36-3:224", new ResNetBackboneOptions().Kind); // ResNet-152, the STREAM encoder's
    }

    [Fact]
    public void A_malformed_kind_is_refused_with_the_expected_form()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageBackboneOptions.FromKind("small-cnn:64"));
        Assert.Contains("small-cnn:<size>:<width>", e.Message);
        Assert.Throws<ArgumentException>(() => ImageBackboneOptions.FromKind(" "));
        var unknown = Assert.IsType<RegisteredBackboneOptions>(ImageBackboneOptions.FromKind("my-trunk:3"));
        var create = Assert.Throws<ArgumentException>(() => unknown.Create());
        Assert.Contains("ImageBackbones.Register", create.Message);
    }
}
