namespace Microsoft.ML.MirrorGan.Onnx; internal static class OnnxAssembly { }
