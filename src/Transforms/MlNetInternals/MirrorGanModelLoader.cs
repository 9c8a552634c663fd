using Microsoft.ML.Runtime;

namespace Microsoft.ML.MirrorGan;

/// <summary>A transformer that this project's persistence can save and load.</summary>
/// <typeparam name="TSelf">The transformer type itself.</typeparam>
public interface IMirrorGanPersistable<TSelf> where TSelf : class, IMirrorGanPersistable<TSelf>
{
    /// <summary>How the type is identified inside a model zip.</summary>
    static abstract MirrorGanModelFormat Format { get; }

    /// <summary>Rebuilds the transformer from what its save wrote.</summary>
    static abstract TSelf Load(IHostEnvironment env, ModelReader reader);
}

/// <summary>
/// The loader that ML.NET's component catalog calls for a saved <typeparamref name="T"/>. An assembly that
/// defines a persisted transformer registers it with
/// <c>[assembly: LoadableClass(typeof(T), typeof(MirrorGanModelLoader&lt;T&gt;), null, typeof(SignatureLoadModel), "name", loaderSignature)]</c>.
/// </summary>
/// <typeparam name="T">The transformer type.</typeparam>
public static class MirrorGanModelLoader<T> where T : class, IMirrorGanPersistable<T>
{
    // Found by reflection: ComponentCatalog looks for a static Create(IHostEnvironment, ModelLoadContext) on the loader type.
    // Every failure leaves as an InvalidDataException that names the zip directory and the type: a damaged or foreign
    // file must not surface as an EndOfStreamException, a FormatException or a TorchSharp error without context.
    // (ML.NET's Model.Load wraps it in a TargetInvocationException; the InvalidDataException is its InnerException.)
    private static T Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        try
        {
            return T.Load(env, new ModelReader(ctx, T.Format));
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException and not OperationCanceledException)
        {
            throw new InvalidDataException(
                $"'{ctx.Directory}' in the model zip could not be loaded as {typeof(T).Name}: {e.GetType().Name}: {e.Message} " +
                "The file is truncated or damaged, or was written by another program; save the model again.", e);
        }
    }
}
