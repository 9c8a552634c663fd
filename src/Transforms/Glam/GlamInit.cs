using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Glam;

/// <summary>
/// AttnGAN/MirrorGAN <c>weights_init</c>: orthogonal (gain 1) for every Conv and Linear weight, zero Linear
/// biases, BatchNorm weight ~ N(1, 0.02) and bias 0. Conv biases keep PyTorch's default, as the original.
/// </summary>
internal static class GlamInit
{
    public static void Apply(nn.Module root)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, m) in root.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.orthogonal_(conv.weight!);
                    break;
                case Linear linear:
                    nn.init.orthogonal_(linear.weight!);
                    if (linear.bias is not null) linear.bias.zero_();
                    break;
                case BatchNorm2d bn2:
                    bn2.weight!.normal_(1.0, 0.02);
                    bn2.bias!.zero_();
                    break;
                case BatchNorm1d bn1:
                    bn1.weight!.normal_(1.0, 0.02);
                    bn1.bias!.zero_();
                    break;
            }
        }
    }
}
