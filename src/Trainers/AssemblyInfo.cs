namespace Microsoft.ML.MirrorGan; internal static class TrainersAssembly { }
