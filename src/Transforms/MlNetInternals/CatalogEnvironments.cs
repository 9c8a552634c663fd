using Microsoft.ML.Runtime;

namespace Microsoft.ML.MirrorGan;

/// <summary>The host environment behind an ML.NET catalog (its accessor is internal in ML.NET 5), for catalog extension methods.</summary>
internal static class CatalogEnvironments
{
    public static IHostEnvironment Of(TransformsCatalog catalog) => ((Microsoft.ML.Data.IInternalCatalog)catalog).Environment;
}
