using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.StreamCaptioner;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Import.Pickle;
using Microsoft.ML.MirrorGan.TextEmbed;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.MirrorGan.Import;

/// <summary>A generator imported from a <c>netG*.pth</c>: the conditioning augmentation and the GLAM cascade.</summary>
/// <param name="Conditioning">CA_NET (<c>ca_net.fc</c>).</param>
/// <param name="Generator">The cascade, in evaluation mode, with <see cref="GlamNetworkOptions.ReproduceAttnGanMaskBug"/> as requested.</param>
/// <param name="Options">The architecture read from the checkpoint's shapes.</param>
public sealed record ImportedGenerator(ConditioningAugmentation Conditioning, GlamGenerator Generator, GlamNetworkOptions Options);

/// <summary>
/// Imports the authors' PyTorch checkpoints (AttnGAN/MirrorGAN state dicts, zip or legacy <c>torch.save</c> format) and
/// their vocabulary pickle, with no Python. Architectures are read from the tensors' shapes; names are mapped by
/// <see cref="PyTorchNameMaps"/>; every entry must be used and every shape must fit, or the error names the file, the
/// entry and both shapes.
/// </summary>
public static class PyTorchImport
{
    /// <summary>
    /// Reads <c>captions.pickle</c> / <c>bird_captions.pickle</c> (<c>[train_captions, test_captions, ixtoword, wordtoix]</c>)
    /// into a <see cref="Vocabulary"/> with the original's rules: no unknown token (unknown words are dropped), index 0
    /// <c>&lt;end&gt;</c>, ASCII-only tokens. The pickle is read with a restricted reader that accepts plain data only.
    /// </summary>
    public static Vocabulary LoadVocabulary(string picklePath)
    {
        var root = RestrictedUnpickler.LoadFile(picklePath);
        if (root is not List<object?> list || list.Count != 4 || list[2] is not PickleDict ixtoword || list[3] is not PickleDict wordtoix)
            throw new InvalidDataException($"'{picklePath}' is not an AttnGAN captions pickle: expected a list [train_captions, test_captions, ixtoword, wordtoix].");
        var words = new string[ixtoword.Entries.Count];
        foreach (var (key, value) in ixtoword.Entries)
        {
            if (key is not long i || i < 0 || i >= words.Length || value is not string w)
                throw new InvalidDataException($"'{picklePath}': ixtoword entry {key} → {value} is not an index 0..{words.Length - 1} → word.");
            words[i] = w;
        }
        foreach (var (key, value) in wordtoix.Entries)
            if (key is not string w || value is not long i || i < 0 || i >= words.Length || words[i] != w)
                throw new InvalidDataException($"'{picklePath}': wordtoix entry '{key}' → {value} disagrees with ixtoword.");
        if (words.Length == 0 || words[0] != Vocabulary.EndToken)
            throw new InvalidDataException($"'{picklePath}': index 0 is '{(words.Length > 0 ? words[0] : "")}', expected '{Vocabulary.EndToken}'.");
        return new Vocabulary(words, hasUnknownToken: false, asciiOnly: true);
    }

    /// <summary>Imports <c>text_encoder*.pth</c> (RNN_ENCODER) as a <see cref="TextEncoder"/> in evaluation mode.</summary>
    public static TextEncoder LoadTextEncoder(string path)
    {
        using var sd = TorchStateDict.Load(path);
        var emb = sd.Shape("encoder.weight");
        var hh = sd.Shape("rnn.weight_hh_l0");
        if (!sd.Contains("rnn.weight_hh_l0_reverse"))
            throw new InvalidDataException($"'{path}': the RNN is not bidirectional (no rnn.weight_hh_l0_reverse); only the bidirectional LSTM text encoder is supported.");
        if (sd.Contains("rnn.weight_hh_l1"))
            throw new InvalidDataException($"'{path}': the RNN has more than one layer; the original and this port use one.");
        var encoder = new TextEncoder((int)emb[0], (int)emb[1], (int)hh[1]);
        var copier = new StateDictCopier(sd);
        copier.Copy(encoder, PyTorchNameMaps.TextEncoderName, "TextEncoder");
        copier.EnsureAllUsed("the text encoder");
        encoder.eval();
        return encoder;
    }

    /// <summary>
    /// Imports <c>netG*.pth</c> (G_NET). The original's word-attention mask tiling (AttnGAN #93) is reproduced by
    /// default, because that is what the weights were trained with.
    /// </summary>
    public static ImportedGenerator LoadGenerator(string path, bool reproduceAttnGanMaskBug = true)
    {
        using var sd = TorchStateDict.Load(path);
        var ca = sd.Shape("ca_net.fc.weight");
        int condition = (int)ca[0] / 4, text = (int)ca[1];
        int ngf = (int)sd.Shape("img_net1.img.0.weight")[1];
        int z = (int)sd.Shape("h_net1.fc.0.weight")[1] - condition;
        int stages = 1 + Enumerable.Range(2, 2).Count(k => sd.Contains($"h_net{k}.conv.weight"));
        int residual = stages > 1 ? sd.Names.Where(n => n.StartsWith("h_net2.residual.", StringComparison.Ordinal)).Select(n => n.Split('.')[2]).Distinct().Count() : 2;
        if (stages > 1 && sd.Shape("h_net2.att.linear.weight")[1] != condition)
            throw new InvalidDataException($"'{path}': the sentence attention reads {sd.Shape("h_net2.att.linear.weight")[1]} values but CA makes {condition}.");
        var options = new GlamNetworkOptions
        {
            Stages = stages, GeneratorDim = ngf, ZDim = z, ConditionDim = condition, TextDim = text, ResidualBlocks = residual,
            ReproduceAttnGanMaskBug = reproduceAttnGanMaskBug,
        };
        var conditioning = new ConditioningAugmentation(text, condition);
        var generator = new GlamGenerator(options);
        var copier = new StateDictCopier(sd);
        copier.Copy(conditioning, PyTorchNameMaps.ConditioningName, "ConditioningAugmentation");
        copier.Copy(generator, PyTorchNameMaps.GeneratorName, "GlamGenerator");
        copier.EnsureAllUsed("the generator");
        conditioning.eval();
        generator.eval();
        return new ImportedGenerator(conditioning, generator, options);
    }

    /// <summary>
    /// Imports a generator checkpoint (<c>netG*.pth</c>) as a ready <see cref="MirrorGanTransformer"/>: it reads the
    /// columns of a <c>TextEmbed</c> (for example one from <see cref="LoadTextEmbed"/>) and generates images, and it saves
    /// as an ML.NET model zip and exports to ONNX like a trained one. The original feeds the raw sentence feature to
    /// CA, so sentence normalisation is off.
    /// </summary>
    /// <param name="env">The ML.NET environment.</param>
    /// <param name="path">The <c>netG*.pth</c> file (zip or legacy format).</param>
    /// <param name="maxWords">Words per caption the TextEmbed emits (its <c>MaxWords</c>).</param>
    /// <param name="reproduceAttnGanMaskBug">Keep the original's word-attention mask tiling (AttnGAN #93); on by default for imported weights.</param>
    /// <param name="seed">Default generation seed when the data has no seed column.</param>
    public static MirrorGanTransformer LoadMirrorGan(IHostEnvironment env, string path, int maxWords, bool reproduceAttnGanMaskBug = true, int seed = 0)
    {
        if (env is null) throw new ArgumentNullException(nameof(env));
        var imported = LoadGenerator(path, reproduceAttnGanMaskBug);
        var net = new MirrorGanGeneratorNet(imported.Options);
        using (torch.no_grad())
        {
            CopyState(imported.Conditioning, net.ConditioningAugmentation);
            CopyState(imported.Generator, net.Cascade);
        }
        imported.Conditioning.Dispose();
        imported.Generator.Dispose();
        net.eval();
        return new MirrorGanTransformer(env, net, maxWords, seed: seed);
    }

    // Both sides are built from the same options, so parameter and buffer names match one to one.
    private static void CopyState(torch.nn.Module from, torch.nn.Module to)
    {
        var target = to.state_dict();
        foreach (var (name, value) in from.state_dict())
        {
            if (!target.TryGetValue(name, out var dst))
                throw new InvalidOperationException($"Imported module has '{name}', which {to.GetName()} lacks.");
            dst.copy_(value);
        }
    }

    /// <summary>Imports a STREAM encoder checkpoint (CAPTION_CNN: torchvision ResNet trunk, Linear, BatchNorm1d) with its trunk frozen.</summary>
    public static StreamEncoder LoadStreamEncoder(string path)
    {
        using var sd = TorchStateDict.Load(path);
        var layout = ResNetLayoutFrom(sd);
        var linear = sd.Shape("linear.weight");
        var encoder = new StreamEncoder(new ResNetBackbone(layout, ResNetPreprocessing.ResizeOnly, 224), (int)linear[0]);
        var copier = new StateDictCopier(sd);
        copier.Copy(encoder, PyTorchNameMaps.StreamEncoderName, "StreamEncoder");
        copier.EnsureAllUsed("the STREAM encoder");
        encoder.eval();
        return encoder;
    }

    /// <summary>Imports a STREAM decoder checkpoint (CAPTION_RNN: Embedding, one-layer LSTM, Linear).</summary>
    public static StreamDecoder LoadStreamDecoder(string path)
    {
        using var sd = TorchStateDict.Load(path);
        if (sd.Contains("lstm.weight_ih_l1"))
            throw new InvalidDataException($"'{path}': the LSTM has more than one layer; STREAM uses one (CAP.num_layers = 1).");
        var embed = sd.Shape("embed.weight");
        var decoder = new StreamDecoder((int)embed[0], (int)embed[1], (int)sd.Shape("lstm.weight_hh_l0")[1]);
        var copier = new StateDictCopier(sd);
        copier.Copy(decoder, PyTorchNameMaps.StreamDecoderName, "StreamDecoder");
        copier.EnsureAllUsed("the STREAM decoder");
        decoder.eval();
        return decoder;
    }

    /// <summary>
    /// A <see cref="TextEmbedTransformer"/> from <c>text_encoder*.pth</c> and the vocabulary pickle, saveable with
    /// <c>mlContext.Model.Save</c>. With <paramref name="imageEncoderPath"/> (<c>image_encoder*.pth</c>, the DAMSM
    /// Inception-v3 CNN_ENCODER) it maps images too, so R-precision can run on imported weights; without it the
    /// transformer maps captions only and its image encoder is an untrained placeholder that must not be used.
    /// </summary>
    /// <param name="env">The ML.NET environment.</param>
    /// <param name="textEncoderPath">The RNN_ENCODER state dict.</param>
    /// <param name="vocabularyPickle">The dataset's <c>captions.pickle</c>.</param>
    /// <param name="maxWords">Captions are cut to this many words (the original's <c>TEXT.WORDS_NUM</c>, 18).</param>
    /// <param name="imageEncoderPath">The CNN_ENCODER state dict, or null for a captions-only transformer.</param>
    /// <param name="imageSize">The side images of the image column are converted at (the trunk resizes to 299 itself).</param>
    public static TextEmbedTransformer LoadTextEmbed(IHostEnvironment env, string textEncoderPath, string vocabularyPickle, int maxWords = 18,
        string? imageEncoderPath = null, int imageSize = 256)
    {
        var vocabulary = LoadVocabulary(vocabularyPickle);
        var text = LoadTextEncoder(textEncoderPath);
        if (text.VocabularySize != vocabulary.Count)
            throw new InvalidDataException($"'{textEncoderPath}' has {text.VocabularySize} word embeddings but '{vocabularyPickle}' has {vocabulary.Count} words: they come from different datasets.");
        if (imageEncoderPath is null)
            return new TextEmbedTransformer(env, vocabulary, text, new DamsmImageEncoder(new SmallCnnBackbone(16, 1), text.FeatureSize), new TextEmbedColumns(), maxWords, 16);
        var image = LoadImageEncoder(imageEncoderPath);
        if (image.FeatureSize != text.FeatureSize)
            throw new InvalidDataException($"'{imageEncoderPath}' projects images to {image.FeatureSize} values but '{textEncoderPath}' makes {text.FeatureSize}-d text features: " +
                "use the image_encoder*.pth saved with this text_encoder*.pth (same DAMSM run).");
        return new TextEmbedTransformer(env, vocabulary, text, image, new TextEmbedColumns(), maxWords, imageSize);
    }

    /// <summary>
    /// Imports <c>image_encoder*.pth</c> (AttnGAN's CNN_ENCODER: torchvision Inception-v3 layers <c>Conv2d_1a_3x3</c> …
    /// <c>Mixed_7c</c>, <c>emb_features</c>, <c>emb_cnn_code</c>) as a <see cref="DamsmImageEncoder"/> around a frozen
    /// <see cref="InceptionV3Backbone"/>, in evaluation mode. The feature size comes from <c>emb_features.weight</c>;
    /// the trunk's width divisor from <c>Conv2d_1a_3x3.conv.weight</c> (32 output channels in the real network).
    /// </summary>
    public static DamsmImageEncoder LoadImageEncoder(string path)
    {
        using var sd = TorchStateDict.Load(path);
        if (!sd.Contains("Conv2d_1a_3x3.conv.weight") || !sd.Contains("emb_features.weight"))
            throw new InvalidDataException($"'{path}' has no Conv2d_1a_3x3.conv.weight or emb_features.weight: it is not a DAMSM image encoder (CNN_ENCODER) state dict.");
        long first = sd.Shape("Conv2d_1a_3x3.conv.weight")[0];
        if (first < 1 || 32 % first != 0 || !new[] { 1, 2, 4, 8, 16 }.Contains((int)(32 / first)))
            throw new InvalidDataException($"'{path}': Conv2d_1a_3x3.conv.weight has {first} output channels; torchvision's Inception-v3 has 32 (or 32 divided by 2, 4, 8 or 16 for tiny test networks).");
        var encoder = new DamsmImageEncoder(new InceptionV3Backbone((int)(32 / first)), (int)sd.Shape("emb_features.weight")[0]);
        var copier = new StateDictCopier(sd);
        copier.Copy(encoder, PyTorchNameMaps.ImageEncoderName, "DamsmImageEncoder");
        copier.EnsureAllUsed("the DAMSM image encoder (AuxLogits.* and fc.* belong to torchvision's classifier, not to CNN_ENCODER)");
        encoder.eval();
        return encoder;
    }

    /// <summary>
    /// Imports <c>netD*.pth</c> (D_NET64/128/256) as a <see cref="GlamDiscriminator"/>, in evaluation mode (call
    /// <c>train()</c> to resume GAN training). DF comes from <c>img_code_s16.0.weight</c>, the sentence size from
    /// <c>COND_DNET.jointConv.0.weight</c>, the image size from which of <c>img_code_s32</c> / <c>img_code_s64</c> exist.
    /// </summary>
    /// <param name="path">The state dict.</param>
    /// <param name="imageSize">64, 128 or 256 to check the file against (netD0/1/2 of a three-stage run), or null to read it from the file.</param>
    public static GlamDiscriminator LoadDiscriminator(string path, int? imageSize = null)
    {
        using var sd = TorchStateDict.Load(path);
        if (!sd.Contains("img_code_s16.0.weight") || !sd.Contains("COND_DNET.jointConv.0.weight"))
            throw new InvalidDataException($"'{path}' has no img_code_s16.0.weight or COND_DNET.jointConv.0.weight: it is not an AttnGAN/MirrorGAN discriminator (D_NET64/128/256) state dict.");
        int found = sd.Contains("img_code_s64.0.weight") ? 256 : sd.Contains("img_code_s32.0.weight") ? 128 : 64;
        if (imageSize is int expected && expected != found)
            throw new InvalidDataException($"'{path}' is a D_NET{found} (it {(found == 64 ? "has no img_code_s32/img_code_s64" : $"has img_code_s{(found == 256 ? 64 : 32)}")}) but a {expected}-px discriminator was asked for: " +
                "netD0/netD1/netD2 are the 64/128/256-px discriminators.");
        int df = (int)sd.Shape("img_code_s16.0.weight")[0];
        int textDim = (int)sd.Shape("COND_DNET.jointConv.0.weight")[1] - 8 * df;
        if (textDim < 1)
            throw new InvalidDataException($"'{path}': COND_DNET.jointConv.0.weight reads {sd.Shape("COND_DNET.jointConv.0.weight")[1]} channels, not 8·DF ({8 * df}) plus a sentence feature.");
        var discriminator = new GlamDiscriminator(found, df, textDim);
        var copier = new StateDictCopier(sd);
        copier.Copy(discriminator, name => PyTorchNameMaps.DiscriminatorName(name, found), $"GlamDiscriminator ({found} px)");
        copier.EnsureAllUsed($"the {found}-px discriminator");
        discriminator.eval();
        return discriminator;
    }

    /// <summary>
    /// A <see cref="StreamCaptionerTransformer"/> from STREAM encoder and decoder checkpoints and the vocabulary pickle
    /// (MirrorGAN issue #6: STREAM must use the STEM's <c>bird_captions.pickle</c> vocabulary), saveable as an ML.NET zip.
    /// </summary>
    public static StreamCaptionerTransformer LoadStreamCaptioner(IHostEnvironment env, string encoderPath, string decoderPath, string vocabularyPickle,
        string imageColumn = "Image", string captionColumn = "GeneratedCaption", string scoreColumn = "CaptionScore", int imageSize = 256, int maxWords = 20, int beamWidth = 1)
    {
        var vocabulary = LoadVocabulary(vocabularyPickle);
        var encoder = LoadStreamEncoder(encoderPath);
        var decoder = LoadStreamDecoder(decoderPath);
        if (decoder.VocabularySize != vocabulary.Count)
            throw new InvalidDataException($"'{decoderPath}' predicts {decoder.VocabularySize} words but '{vocabularyPickle}' has {vocabulary.Count} (MirrorGAN issue #11): train STREAM with the STEM vocabulary.");
        if (decoder.EmbedSize != encoder.FeatureSize)
            throw new InvalidDataException($"The encoder makes {encoder.FeatureSize}-d features but the decoder embeds {decoder.EmbedSize}: the checkpoints do not belong together.");
        var backbone = (ResNetBackbone)encoder.Backbone;
        var net = new StreamCaptionNet(ResNetBackbone.FromKind(backbone.Kind), vocabulary.Count, decoder.EmbedSize, decoder.HiddenSize);
        using (TorchSharp.torch.no_grad())
        {
            net.Encoder.load_state_dict(encoder.state_dict());
            net.Decoder.load_state_dict(decoder.state_dict());
        }
        return new StreamCaptionerTransformer(env, net, vocabulary, imageColumn, captionColumn, scoreColumn, imageSize, maxWords, beamWidth);
    }

    private static ResNetLayout ResNetLayoutFrom(TorchStateDict sd)
    {
        int width = (int)sd.Shape("resnet.0.weight")[0];
        bool bottleneck = sd.Contains("resnet.4.0.conv3.weight");
        var blocks = Enumerable.Range(4, 4).Select(i => sd.Names.Where(n => n.StartsWith($"resnet.{i}.", StringComparison.Ordinal))
            .Select(n => n.Split('.')[2]).Distinct().Count()).ToArray();
        if (blocks.Any(b => b == 0))
            throw new InvalidDataException($"'{sd.Path}': resnet.4 … resnet.7 (the four ResNet stages) are not all present; is this a CAPTION_CNN checkpoint?");
        return new ResNetLayout(bottleneck, width, blocks);
    }
}
