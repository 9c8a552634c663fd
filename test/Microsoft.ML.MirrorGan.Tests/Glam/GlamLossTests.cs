using Microsoft.ML.MirrorGan.Glam;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Tests.Glam;

public class GlamLossTests
{
    [Fact]
    public void Discriminator_loss_matches_the_formula_computed_from_the_heads()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var d = new GlamDiscriminator(64, 4, 6);
        d.eval(); // fixed BN statistics so the two computations see the same network
        var real = rand(3, 3, 64, 64) * 2 - 1;
        var fake = rand(3, 3, 64, 64) * 2 - 1;
        var s = randn(3, 6);
        var loss = GlamLosses.Discriminator(d, real, fake, s).item<float>();

        // Independent computation: the original's sigmoid, then plain -log p sums.
        var fr = d.call(real);
        var ff = d.call(fake);
        double Bce1(Tensor logits) => -logits.sigmoid().log().mean().item<float>();
        double Bce0(Tensor logits) => -(1 - logits.sigmoid()).log().mean().item<float>();
        double expected = (Bce1(d.Unconditional(fr)) + Bce1(d.Conditional(fr, s))) / 2
            + (Bce0(d.Unconditional(ff)) + Bce0(d.Conditional(ff, s)) + Bce0(d.Conditional(fr[..2], s[1..]))) / 3;
        Assert.Equal(expected, loss, 4);
    }

    [Fact]
    public void Losses_take_logits_and_stay_finite_where_sigmoid_then_bce_overflows()
    {
        using var scope = NewDisposeScope();
        // A D whose heads saturate: logits of ±200 make sigmoid exactly 1 or 0 in float32, where the original's
        // sigmoid + BCE gives log(0) (libtorch clamps it to -100) and its gradient vanishes.
        var logits = tensor(new[] { 200f, -200f, 3f }).requires_grad_(true);
        var targets = tensor(new[] { 0f, 1f, 1f });
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, targets);
        loss.backward();
        double expected = (200 + 200 + Math.Log(1 + Math.Exp(-3))) / 3;
        Assert.Equal(expected, loss.item<float>(), 3);
        Assert.True(logits.grad!.isfinite().all().item<bool>());
        Assert.True(logits.grad![0].item<float>() > 0.3f); // saturated and wrong still pushes back (1/3 per element)

        // The discriminator's heads are logits (no sigmoid module) and the loss accepts any real value.
        using var d = new GlamDiscriminator(64, 4, 6);
        Assert.DoesNotContain(d.named_modules(), m => m.module is TorchSharp.Modules.Sigmoid);
        using (no_grad())
            foreach (var (name, p) in d.named_parameters())
                if (name.Contains("logits")) p.mul_(1e4); // heads far outside [0, 1]
        var value = GlamLosses.Discriminator(d, rand(2, 3, 64, 64) * 2 - 1, rand(2, 3, 64, 64) * 2 - 1, randn(2, 6)).item<float>();
        Assert.True(float.IsFinite(value), $"loss {value}");
    }

    [Fact]
    public void Generator_adversarial_loss_has_gradients_only_through_the_generated_images()
    {
        using var scope = NewDisposeScope();
        using var d = new GlamDiscriminator(64, 4, 6);
        var generated = (rand(2, 3, 64, 64) * 2 - 1).requires_grad_(true);
        var loss = GlamLosses.GeneratorAdversarial(d, generated, randn(2, 6));
        loss.backward();
        Assert.True(generated.grad is not null && generated.grad.abs().sum().item<float>() > 0);
        Assert.True(loss.item<float>() > 0);
    }

    [Fact]
    public void Ema_tracks_the_average_and_apply_restores_live_weights()
    {
        using var scope = NewDisposeScope();
        var lin = nn.Linear(2, 1);
        using (no_grad()) { lin.weight!.fill_(0); lin.bias!.fill_(0); }
        using var ema = new ParameterEma(lin, decay: 0.5);
        using (no_grad()) lin.weight!.fill_(4);
        ema.Update(); // 0.5·0 + 0.5·4 = 2
        using (no_grad()) lin.weight!.fill_(4);
        ema.Update(); // 0.5·2 + 0.5·4 = 3
        using (ema.Apply())
            Assert.Equal(3f, lin.weight!.mean().item<float>());
        Assert.Equal(4f, lin.weight!.mean().item<float>());
    }
}
