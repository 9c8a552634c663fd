using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// The adversarial losses of MirrorGAN's trainer (AttnGAN's), on the discriminator heads' logits with
/// BCE-with-logits: the same value as the original's sigmoid + BCE, computed without its overflow, and a NaN logit
/// gives a NaN loss (which the step reports) instead of a native error.
/// </summary>
internal static class GlamLosses
{
    /// <summary>
    /// One stage's discriminator loss: ½[BCE(D(real),1) + BCE(D(real,s),1)] + ⅓[BCE(D(fake),0) + BCE(D(fake,s),0) +
    /// BCE(D(real[0..B−1], s[1..B]),0)]. The last term pairs each real image with its neighbour's caption in the
    /// length-sorted batch, as the original (no class check). <paramref name="fake"/> must already be detached.
    /// Real and fake go through D in separate passes: a mixed batch would share BatchNorm statistics.
    /// </summary>
    public static Tensor Discriminator(GlamDiscriminator d, Tensor real, Tensor fake, Tensor sentence)
    {
        long b = real.shape[0];
        var realFeatures = d.call(real);
        var fakeFeatures = d.call(fake);
        var ones = torch.ones(b, device: real.device);
        var zeros = torch.zeros(b, device: real.device);
        var realLoss = Bce(d.Unconditional(realFeatures), ones) + Bce(d.Conditional(realFeatures, sentence), ones);
        var fakeLoss = Bce(d.Unconditional(fakeFeatures), zeros) + Bce(d.Conditional(fakeFeatures, sentence), zeros);
        if (b > 1)
        {
            var wrong = d.Conditional(realFeatures[..(int)(b - 1)], sentence[1..]);
            fakeLoss = fakeLoss + Bce(wrong, zeros[1..]);
        }
        // With a batch of one there is no neighbour; keep the ⅓ weighting of the two remaining terms' scale.
        return realLoss / 2 + fakeLoss / (b > 1 ? 3 : 2);
    }

    /// <summary>One stage's adversarial generator loss: BCE(D(G),1) + BCE(D(G,s),1).</summary>
    public static Tensor GeneratorAdversarial(GlamDiscriminator d, Tensor generated, Tensor sentence)
    {
        var features = d.call(generated);
        var ones = torch.ones(generated.shape[0], device: generated.device);
        return Bce(d.Unconditional(features), ones) + Bce(d.Conditional(features, sentence), ones);
    }

    private static Tensor Bce(Tensor logits, Tensor targets) => nn.functional.binary_cross_entropy_with_logits(logits, targets);
}
