// Compiled into every project that sets <UseMlNetInternals>true</UseMlNetInternals> (see
// build/MirrorGan.MlNetInternals.targets). CoreCLR honours this attribute by name: it lets this assembly
// call the internal ML.NET persistence members that the publicized reference copies exposed at compile time.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices;

[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    public string AssemblyName { get; }
}
