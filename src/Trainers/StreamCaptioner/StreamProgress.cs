namespace Microsoft.ML.MirrorGan.StreamCaptioner;

/// <summary>Progress of STREAM pretraining, reported after every <see cref="StreamCaptionerOptions.ReportEvery"/> steps and each epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Global optimizer step.</param>
/// <param name="Loss">Mean teacher-forced cross-entropy since the last report.</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="EpochEnd">Whether this report closes an epoch.</param>
public sealed record StreamProgress(int Epoch, int Step, double Loss, TimeSpan Elapsed, bool EpochEnd);
