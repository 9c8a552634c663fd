using Microsoft.ML.Runtime;

namespace Microsoft.ML.MirrorGan;

/// <summary>The host environment behind an ML.NET catalog (internal in ML.NET 5), for catalog extension methods.</summary>
internal static class CatalogEnvironment
{
    public static IHostEnvironment Of(TransformsCatalog catalog) =>
        Microsoft.ML.Data.CatalogUtils.GetEnvironment(catalog ?? throw new ArgumentNullException(nameof(catalog)));
}
