using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>One column of a <see cref="DatasetView"/>: a name, a type and a value computed from the row index.</summary>
internal abstract class DatasetColumn
{
    protected DatasetColumn(string name, DataViewType type)
    {
        Name = name;
        Type = type;
    }

    public string Name { get; }
    public DataViewType Type { get; }

    /// <summary>A getter that reads the value of the cursor's current row.</summary>
    public abstract Delegate MakeGetter(DatasetView.Cursor cursor);

    public static DatasetColumn Text(string name, Func<long, string> value) =>
        new Typed<ReadOnlyMemory<char>>(name, TextDataViewType.Instance, r => value(r).AsMemory());

    public static DatasetColumn Int32(string name, Func<long, int> value) =>
        new Typed<int>(name, NumberDataViewType.Int32, value);

    public static DatasetColumn Vector(string name, int length, Func<long, float[]> value) =>
        new Typed<VBuffer<float>>(name, new VectorDataViewType(NumberDataViewType.Single, length), r => new VBuffer<float>(length, value(r)));

    public static DatasetColumn Image(string name, DataViewType type, Func<long, MLImage?> value) =>
        new ImageColumn(name, type, value);

    private sealed class Typed<T> : DatasetColumn
    {
        private readonly Func<long, T> _value;

        public Typed(string name, DataViewType type, Func<long, T> value) : base(name, type) => _value = value;

        public override Delegate MakeGetter(DatasetView.Cursor cursor) =>
            (ValueGetter<T>)((ref T dst) => dst = _value(cursor.CheckedRow));
    }

    // The decoded image of the current row is kept by the cursor so a row is decoded once however often it is read;
    // the cursor may also have decoded it already while checking for bad images.
    private sealed class ImageColumn : DatasetColumn
    {
        private readonly Func<long, MLImage?> _value;

        public ImageColumn(string name, DataViewType type, Func<long, MLImage?> value) : base(name, type) => _value = value;

        public MLImage? Load(long row) => _value(row);

        public override Delegate MakeGetter(DatasetView.Cursor cursor) =>
            (ValueGetter<MLImage>)((ref MLImage dst) => dst = cursor.CurrentImage(this)!);
    }

    internal MLImage? LoadImage(long row) => ((ImageColumn)this).Load(row);

    internal bool IsImage => this is ImageColumn;
}
