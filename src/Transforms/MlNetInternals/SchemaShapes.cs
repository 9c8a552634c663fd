using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan;

/// <summary>Builds <see cref="SchemaShape.Column"/> values (their constructor is internal in ML.NET 5).</summary>
internal static class SchemaShapes
{
    public static SchemaShape.Column Scalar(string name, DataViewType itemType) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, itemType, isKey: false);

    public static SchemaShape.Column Vector(string name, DataViewType itemType) =>
        new(name, SchemaShape.Column.VectorKind.Vector, itemType, isKey: false);

    public static SchemaShape.Column VariableVector(string name, DataViewType itemType) =>
        new(name, SchemaShape.Column.VectorKind.VariableVector, itemType, isKey: false);

    /// <summary>The input shape with <paramref name="added"/> columns added (replacing same-named ones).</summary>
    public static SchemaShape With(SchemaShape input, params SchemaShape.Column[] added)
    {
        var cols = input.ToDictionary(c => c.Name);
        foreach (var c in added) cols[c.Name] = c;
        return new SchemaShape(cols.Values);
    }
}
