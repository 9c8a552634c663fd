using System.Reflection;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>Versions recorded in every exported graph and in the manifest.</summary>
internal static class OnnxExportInfo
{
    public const int Opset = 17;

    public static string ProducerVersion { get; } =
        typeof(OnnxExportInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IReadOnlyDictionary<string, string> Metadata(string graph) => new Dictionary<string, string>
    {
        ["mirrorgan.graph"] = graph,
        ["mirrorgan.version"] = ProducerVersion,
    };
}
