using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan;

/// <summary>An input column a transformer reads, with the types it accepts.</summary>
/// <param name="Name">Column name in the input schema.</param>
/// <param name="Accepts">Whether a column type is acceptable.</param>
/// <param name="Expected">Human description of the accepted types, used in error messages.</param>
public sealed record InputColumnSpec(string Name, Func<DataViewType, bool> Accepts, string Expected)
{
    /// <summary>
    /// Whether the column may be absent from the input: the transformer then sees <see cref="InputBatch.Has"/> false for
    /// it (a present column must still have the accepted type).
    /// </summary>
    public bool Optional { get; init; }

    /// <summary>A text column.</summary>
    public static InputColumnSpec Text(string name) => new(name, t => t is TextDataViewType, "Text (string)");

    /// <summary>An image column (<see cref="MLImage"/>).</summary>
    public static InputColumnSpec Image(string name) => new(name, t => t is ImageDataViewType, "Image (MLImage)");

    /// <summary>A vector of Single, of a known or variable size.</summary>
    public static InputColumnSpec FloatVector(string name, int size = 0) =>
        new(name, t => t is VectorDataViewType v && v.ItemType == NumberDataViewType.Single && (size == 0 || v.Size == size),
            size == 0 ? "Vector<Single>" : $"Vector<Single, {size}>");
}

/// <summary>An output column a transformer adds.</summary>
/// <param name="Name">Column name in the output schema (hides a same-named input column).</param>
/// <param name="Type">Its type. Values are produced as: Text: <see cref="string"/>; Vector&lt;Single&gt;: <c>float[]</c>;
/// Image: <see cref="MLImage"/>; numbers and booleans: the matching .NET value type.</param>
public sealed record OutputColumnSpec(string Name, DataViewType Type);
