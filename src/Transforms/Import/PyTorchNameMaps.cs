using System.Text.RegularExpressions;

namespace Microsoft.ML.MirrorGan.Import;

/// <summary>
/// This project's parameter names → the names in the authors' checkpoints (AttnGAN/MirrorGAN <c>model.py</c>, yunjey's
/// captioning tutorial). The README's name-mapping table is this file in prose; keep them together.
/// </summary>
public static class PyTorchNameMaps
{
    private static readonly (Regex From, string To)[] Generator =
    {
        (new(@"^h_net1\.fc\.linear\.(.+)$"), "h_net1.fc.0.$1"),
        (new(@"^h_net1\.fc\.bn\.(.+)$"), "h_net1.fc.1.$1"),
        (new(@"^h_net1\.upsample\.up(\d)\.conv\.(.+)$"), "h_net1.upsample$1.1.$2"),
        (new(@"^h_net1\.upsample\.up(\d)\.bn\.(.+)$"), "h_net1.upsample$1.2.$2"),
        (new(@"^next_stages\.(\d)\.att\.conv_context\.(.+)$"), "h_net{S}.att.conv_context.$2"),
        (new(@"^next_stages\.(\d)\.sent_att\.linear\.(.+)$"), "h_net{S}.att.linear.$2"),
        (new(@"^next_stages\.(\d)\.sent_att\.conv_sentence_vis\.(.+)$"), "h_net{S}.att.conv_sentence_vis.$2"),
        (new(@"^next_stages\.(\d)\.fuse\.(.+)$"), "h_net{S}.conv.$2"),
        (new(@"^next_stages\.(\d)\.residual\.res(\d+)\.block\.conv1\.(.+)$"), "h_net{S}.residual.$2.block.0.$3"),
        (new(@"^next_stages\.(\d)\.residual\.res(\d+)\.block\.bn1\.(.+)$"), "h_net{S}.residual.$2.block.1.$3"),
        (new(@"^next_stages\.(\d)\.residual\.res(\d+)\.block\.conv2\.(.+)$"), "h_net{S}.residual.$2.block.3.$3"),
        (new(@"^next_stages\.(\d)\.residual\.res(\d+)\.block\.bn2\.(.+)$"), "h_net{S}.residual.$2.block.4.$3"),
        (new(@"^next_stages\.(\d)\.upsample\.conv\.(.+)$"), "h_net{S}.upsample.1.$2"),
        (new(@"^next_stages\.(\d)\.upsample\.bn\.(.+)$"), "h_net{S}.upsample.2.$2"),
        (new(@"^img_nets\.(\d)\.conv\.(.+)$"), "img_net{I}.img.0.$2"),
    };

    private static readonly (Regex From, string To)[] StreamEncoder =
    {
        (new(@"^backbone\.trunk\.conv1\.(.+)$"), "resnet.0.$1"),
        (new(@"^backbone\.trunk\.bn1\.(.+)$"), "resnet.1.$1"),
        (new(@"^backbone\.trunk\.layer(\d)\.(.+)$"), "resnet.{L}.$2"),
        (new(@"^(linear|bn)\.(.+)$"), "$1.$2"),
    };

    /// <summary><see cref="Glam.GlamGenerator"/> name → <c>G_NET</c> name (<c>ca_net.fc</c> maps to <see cref="Stem.ConditioningAugmentation"/>'s <c>fc</c>).</summary>
    public static string GeneratorName(string name) => Map(Generator, name, "GlamGenerator");

    /// <summary><see cref="Stem.ConditioningAugmentation"/> name → <c>G_NET</c> name.</summary>
    public static string ConditioningName(string name) => "ca_net." + name;

    /// <summary><see cref="Stem.TextEncoder"/> name → <c>RNN_ENCODER</c> name (identical: <c>encoder</c>, <c>rnn</c>).</summary>
    public static string TextEncoderName(string name) => name;

    /// <summary><see cref="Captioning.StreamDecoder"/> name → <c>CAPTION_RNN</c> name (identical: <c>embed</c>, <c>lstm</c>, <c>linear</c>).</summary>
    public static string StreamDecoderName(string name) => name;

    /// <summary><see cref="Captioning.StreamEncoder"/> name (ResNet backbone) → <c>CAPTION_CNN</c> name (<c>resnet.N</c> = torchvision's children).</summary>
    public static string StreamEncoderName(string name) => Map(StreamEncoder, name, "StreamEncoder");

    private static string Map((Regex From, string To)[] table, string name, string what)
    {
        foreach (var (from, to) in table)
        {
            var m = from.Match(name);
            if (!m.Success) continue;
            string result = m.Result(to);
            // Stage numbers differ: next_stages.0 is h_net2; img_nets.0 is img_net1; layer1 is resnet.4.
            if (result.Contains("{S}")) result = result.Replace("{S}", (int.Parse(m.Groups[1].Value) + 2).ToString());
            if (result.Contains("{I}")) result = result.Replace("{I}", (int.Parse(m.Groups[1].Value) + 1).ToString());
            if (result.Contains("{L}")) result = result.Replace("{L}", (int.Parse(m.Groups[1].Value) + 3).ToString());
            return result;
        }
        throw new InvalidOperationException($"{what} parameter '{name}' has no counterpart in the original checkpoints (name map incomplete).");
    }
}
