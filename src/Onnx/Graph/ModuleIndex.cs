using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Onnx.Graph;

/// <summary>
/// Finds a network's layers by their registered names (e.g. <c>h_net1.upsample.up1.conv</c>), so the exporters read
/// the same modules the forward pass uses without widening the networks' own API. A missing or mistyped name means
/// the network's layout changed and the exporter must follow.
/// </summary>
internal sealed class ModuleIndex
{
    private readonly Dictionary<string, nn.Module> _modules;
    private readonly string _owner;

    public ModuleIndex(nn.Module root, string owner)
    {
        _owner = owner;
        _modules = root.named_modules().ToDictionary(m => m.name, m => m.module);
    }

    public bool Has(string name) => _modules.ContainsKey(name);

    public T Get<T>(string name) where T : nn.Module
    {
        if (!_modules.TryGetValue(name, out var m))
            throw new InvalidOperationException($"ONNX export of {_owner}: layer '{name}' was not found. The network's layout no longer matches the exporter.");
        return m as T ?? throw new InvalidOperationException(
            $"ONNX export of {_owner}: layer '{name}' is a {m.GetType().Name}, the exporter expects {typeof(T).Name}.");
    }
}
