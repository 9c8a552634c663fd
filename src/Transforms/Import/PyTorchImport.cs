using Microsoft.ML.MirrorGan.Backbones;
using Microsoft.ML.MirrorGan.Captioning;
using Microsoft.ML.MirrorGan.Glam;
using Microsoft.ML.MirrorGan.Import.Pickle;
using Microsoft.ML.MirrorGan.Stem;
using Microsoft.ML.MirrorGan.Text;
using Microsoft.ML.Runtime;

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
    /// <c>mlContext.Model.Save</c>. The DAMSM image encoder (Inception-v3 <c>image_encoder*.pth</c>) is not imported yet:
    /// the transformer maps captions only, and its image encoder is an untrained placeholder that must not be used.
    /// </summary>
    public static TextEmbedTransformer LoadTextEmbed(IHostEnvironment env, string textEncoderPath, string vocabularyPickle, int maxWords = 18)
    {
        var vocabulary = LoadVocabulary(vocabularyPickle);
        var text = LoadTextEncoder(textEncoderPath);
        if (text.VocabularySize != vocabulary.Count)
            throw new InvalidDataException($"'{textEncoderPath}' has {text.VocabularySize} word embeddings but '{vocabularyPickle}' has {vocabulary.Count} words: they come from different datasets.");
        var placeholder = new DamsmImageEncoder(new SmallCnnBackbone(16, 1), text.FeatureSize);
        return new TextEmbedTransformer(env, vocabulary, text, placeholder, new TextEmbedColumns(), maxWords, 16);
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
