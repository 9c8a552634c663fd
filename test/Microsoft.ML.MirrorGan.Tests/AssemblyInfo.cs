// Test classes run one at a time: several train small networks, and TorchSharp 0.107's Scalar lifetime race
// (see TorchGcGuard) turns another test's allocations into GCs inside a training step. The suite is short.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
