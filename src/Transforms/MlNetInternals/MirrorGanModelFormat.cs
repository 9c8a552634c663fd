
namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Identifies how one transformer type is written into an ML.NET model zip: an 8-character model
/// signature, the version written now, the oldest version this code still reads, and the loader
/// signature that ML.NET's component catalog maps back to the type.
/// </summary>
/// <param name="ModelSignature">Exactly 8 ASCII characters, unique per transformer type.</param>
/// <param name="Version">The format version written by this build.</param>
/// <param name="OldestReadableVersion">The oldest format version this build can still load.</param>
/// <param name="LoaderSignature">The name given to <c>[LoadableClass]</c> for this type.</param>
/// <param name="Owner">The transformer type; its assembly is recorded in the zip so a fresh process can find it.</param>
public sealed record MirrorGanModelFormat(string ModelSignature, uint Version, uint OldestReadableVersion, string LoaderSignature, Type Owner)
{
    internal VersionInfo ToVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: Version,
        verReadableCur: Version,
        verWeCanReadBack: OldestReadableVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: Owner.Assembly.FullName);
}
