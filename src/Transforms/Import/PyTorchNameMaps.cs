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

    // GlamDiscriminator's img_code is one Sequential; D_NET splits it into img_code_s16 (a Sequential whose LeakyReLUs
    // take indices too: conv 0, lrelu 1, then conv/bn/lrelu triples from 2) and the extra blocks of D_NET128/256.
    private static readonly (Regex From, string To)[] Discriminator =
    {
        (new(@"^img_code\.conv0\.(.+)$"), "img_code_s16.0.$1"),
        (new(@"^img_code\.down([123])_conv\.(.+)$"), "img_code_s16.{C}.$2"),
        (new(@"^img_code\.down([123])_bn\.(.+)$"), "img_code_s16.{B}.$2"),
        (new(@"^img_code\.down4_(conv|bn)\.(.+)$"), "img_code_s32.{K}.$2"),
        (new(@"^img_code\.down5_(conv|bn)\.(.+)$"), "img_code_s64.{K}.$2"),
        (new(@"^img_code\.block5_(conv|bn)\.(.+)$"), "img_code_s64_1.{K}.$2"),
        (new(@"^img_code\.block4_(conv|bn)\.(.+)$"), "{BLOCK4}.{K}.$2"),
        (new(@"^uncond_logits\.conv\.(.+)$"), "UNCOND_DNET.outlogits.0.$1"),
        (new(@"^joint_conv\.block_(conv|bn)\.(.+)$"), "COND_DNET.jointConv.{K}.$2"),
        (new(@"^cond_logits\.conv\.(.+)$"), "COND_DNET.outlogits.0.$1"),
    };

    /// <summary>
    /// <see cref="Glam.GlamDiscriminator"/> name → <c>D_NET64/128/256</c> name. The last 3×3 block (1024 → 512 at DF 64)
    /// is <c>img_code_s32_1</c> in D_NET128 and <c>img_code_s64_2</c> in D_NET256, hence <paramref name="imageSize"/>.
    /// </summary>
    public static string DiscriminatorName(string name, int imageSize)
    {
        foreach (var (from, to) in Discriminator)
        {
            var m = from.Match(name);
            if (!m.Success) continue;
            string result = m.Result(to);
            if (result.Contains("{C}")) result = result.Replace("{C}", (3 * int.Parse(m.Groups[1].Value) - 1).ToString());
            if (result.Contains("{B}")) result = result.Replace("{B}", (3 * int.Parse(m.Groups[1].Value)).ToString());
            if (result.Contains("{K}")) result = result.Replace("{K}", m.Groups[1].Value == "conv" ? "0" : "1");
            if (result.Contains("{BLOCK4}")) result = result.Replace("{BLOCK4}", imageSize == 256 ? "img_code_s64_2" : "img_code_s32_1");
            return result;
        }
        throw new InvalidOperationException($"GlamDiscriminator parameter '{name}' has no counterpart in D_NET{imageSize} (name map incomplete).");
    }

    /// <summary>
    /// <see cref="TextEmbed.DamsmImageEncoder"/> name (Inception-v3 backbone) → <c>CNN_ENCODER</c> name: the original keeps
    /// torchvision's Inception layers as direct attributes (<c>Conv2d_1a_3x3.conv.weight</c>, <c>Mixed_6e.branch1x1.bn.running_mean</c>),
    /// so only the <c>backbone.</c> prefix goes; <c>emb_features</c> and <c>emb_cnn_code</c> keep their names.
    /// </summary>
    public static string ImageEncoderName(string name) =>
        name.StartsWith("backbone.", StringComparison.Ordinal) ? name.Substring("backbone.".Length)
        : name.StartsWith("emb_features.", StringComparison.Ordinal) || name.StartsWith("emb_cnn_code.", StringComparison.Ordinal) ? name
        : throw new InvalidOperationException($"DamsmImageEncoder parameter '{name}' has no counterpart in CNN_ENCODER (name map incomplete).");

    /// <summary><see cref="Glam.GlamGenerator"/> name → <c>G_NET</c> name (<c>ca_net.fc</c> maps to <see cref="TextEmbed.ConditioningAugmentation"/>'s <c>fc</c>).</summary>
    public static string GeneratorName(string name) => Map(Generator, name, "GlamGenerator");

    /// <summary><see cref="TextEmbed.ConditioningAugmentation"/> name → <c>G_NET</c> name.</summary>
    public static string ConditioningName(string name) => "ca_net." + name;

    /// <summary><see cref="TextEmbed.TextEncoder"/> name → <c>RNN_ENCODER</c> name (identical: <c>encoder</c>, <c>rnn</c>).</summary>
    public static string TextEncoderName(string name) => name;

    /// <summary><see cref="StreamCaptioner.StreamDecoder"/> name → <c>CAPTION_RNN</c> name (identical: <c>embed</c>, <c>lstm</c>, <c>linear</c>).</summary>
    public static string StreamDecoderName(string name) => name;

    /// <summary><see cref="StreamCaptioner.StreamEncoder"/> name (ResNet backbone) → <c>CAPTION_CNN</c> name (<c>resnet.N</c> = torchvision's children).</summary>
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
