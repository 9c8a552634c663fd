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

    /// <summary>
    /// The column <paramref name="name"/> of <paramref name="input"/>, checked to be a scalar that <paramref name="accepts"/>.
    /// Estimators call it from <c>GetOutputSchema</c>, and <c>Fit</c> calls <c>GetOutputSchema</c> on its data's schema first,
    /// so both accept and reject the same inputs with the same message.
    /// </summary>
    /// <param name="input">The input shape.</param>
    /// <param name="component">The estimator's name for the message, e.g. <c>TextEmbed</c>.</param>
    /// <param name="name">The column name.</param>
    /// <param name="option">The option that names the column, for the message.</param>
    /// <param name="accepts">Whether an item type is accepted.</param>
    /// <param name="expected">The accepted type in words, with how to get it, for the message.</param>
    public static SchemaShape.Column Require(SchemaShape input, string component, string name, string option, Func<DataViewType, bool> accepts, string expected)
    {
        var found = input.Where(c => c.Name == name).ToList();
        if (found.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(input),
                $"{component}: input column '{name}' was not found; it must be {expected}. The data has {Describe(input)}. Set {option} to the column to use.");
        var col = found[0];
        if (col.Kind != SchemaShape.Column.VectorKind.Scalar || !accepts(col.ItemType))
            throw new ArgumentOutOfRangeException(nameof(input),
                $"{component}: input column '{name}' is {Describe(col)}, but it must be {expected}.");
        return col;
    }

    /// <summary>The visible columns as <c>'Name' (Type)</c>, for messages.</summary>
    public static string Describe(SchemaShape input) =>
        input.Count() == 0 ? "no columns" : string.Join(", ", input.Select(c => $"'{c.Name}' ({Describe(c)})"));

    private static string Describe(SchemaShape.Column c) => c.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => $"{c.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{c.ItemType}>",
        _ => $"VarVector<{c.ItemType}>",
    };

    /// <summary>The shape of a data view's schema (visible columns; ML.NET's own <c>SchemaShape.Create</c> is internal).</summary>
    public static SchemaShape Of(DataViewSchema schema)
    {
        var cols = new List<SchemaShape.Column>();
        foreach (var c in schema)
        {
            if (c.IsHidden) continue;
            var kind = c.Type is VectorDataViewType v
                ? v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector
                : SchemaShape.Column.VectorKind.Scalar;
            var item = c.Type is VectorDataViewType vec ? vec.ItemType : c.Type;
            cols.Add(new SchemaShape.Column(c.Name, kind, item, item is KeyDataViewType));
        }
        return new SchemaShape(cols);
    }

    /// <summary>The input shape with <paramref name="added"/> columns added (replacing same-named ones).</summary>
    public static SchemaShape With(SchemaShape input, params SchemaShape.Column[] added)
    {
        var cols = input.ToDictionary(c => c.Name);
        foreach (var c in added) cols[c.Name] = c;
        return new SchemaShape(cols.Values);
    }
}
