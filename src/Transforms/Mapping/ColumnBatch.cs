namespace Microsoft.ML.MirrorGan;

/// <summary>The input values of a batch of rows, column by column, as plain .NET values.</summary>
public sealed class InputBatch
{
    private readonly object?[][] _columns;
    private readonly bool[] _present;

    internal InputBatch(bool[] present, int capacity)
    {
        _present = present;
        _columns = new object?[present.Length][];
        for (int i = 0; i < present.Length; i++) _columns[i] = new object?[capacity];
    }

    /// <summary>Whether input column <paramref name="column"/> is in the input (false only for an absent optional column).</summary>
    public bool Has(int column) => _present[column];

    /// <summary>Number of rows in the batch.</summary>
    public int Count { get; internal set; }

    /// <summary>Absolute row positions (in the input data view) of the rows, used in error messages.</summary>
    public long[] RowPositions { get; internal set; } = Array.Empty<long>();

    internal object?[] Raw(int column) => _columns[column];

    /// <summary>Values of input column <paramref name="column"/> (index into the transformer's input specs).</summary>
    public T[] Column<T>(int column)
    {
        var src = _columns[column];
        var dst = new T[Count];
        for (int i = 0; i < Count; i++) dst[i] = (T)src[i]!;
        return dst;
    }
}

/// <summary>The output values a transformer computes for a batch, column by column.</summary>
public sealed class OutputBatch
{
    private readonly object?[][] _columns;

    internal OutputBatch(int columns, int capacity)
    {
        _columns = new object?[columns][];
        for (int i = 0; i < columns; i++) _columns[i] = new object?[capacity];
    }

    /// <summary>Number of rows in the batch.</summary>
    public int Count { get; internal set; }

    /// <summary>Sets row <paramref name="row"/> of output column <paramref name="column"/>.</summary>
    public void Set(int column, int row, object value) => _columns[column][row] = value;

    internal object? Get(int column, int row) => _columns[column][row];
}
