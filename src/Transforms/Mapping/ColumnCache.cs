using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Holds the values of one pass-through input column for every row of a batch, because the input cursor
/// has already moved past a row by the time its outputs are served.
/// </summary>
internal abstract class ColumnCache
{
    public static ColumnCache Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        var raw = column.Type.RawType;
        Type cacheType = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VBufferCache<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ValueCache<>).MakeGenericType(raw);
        return (ColumnCache)Activator.CreateInstance(cacheType, row, column, capacity)!;
    }

    /// <summary>Copies the input row's current value into slot <paramref name="slot"/>.</summary>
    public abstract void Read(int slot);

    /// <summary>A getter that serves the slot returned by <paramref name="currentSlot"/>.</summary>
    public abstract Delegate Getter(Func<int> currentSlot);

    private sealed class ValueCache<T> : ColumnCache
    {
        private readonly ValueGetter<T> _src;
        private readonly T[] _values;

        public ValueCache(DataViewRow row, DataViewSchema.Column column, int capacity)
        {
            _src = row.GetGetter<T>(column);
            _values = new T[capacity];
        }

        public override void Read(int slot) => _src(ref _values[slot]);

        public override Delegate Getter(Func<int> currentSlot) => (ValueGetter<T>)((ref T dst) => dst = _values[currentSlot()]);
    }

    private sealed class VBufferCache<T> : ColumnCache
    {
        private readonly ValueGetter<VBuffer<T>> _src;
        private readonly VBuffer<T>[] _values;
        private VBuffer<T> _scratch;

        public VBufferCache(DataViewRow row, DataViewSchema.Column column, int capacity)
        {
            _src = row.GetGetter<VBuffer<T>>(column);
            _values = new VBuffer<T>[capacity];
        }

        // A source getter may hand out its own arrays; copy so each slot owns its data.
        public override void Read(int slot)
        {
            _src(ref _scratch);
            _scratch.CopyTo(ref _values[slot]);
        }

        public override Delegate Getter(Func<int> currentSlot) =>
            (ValueGetter<VBuffer<T>>)((ref VBuffer<T> dst) => _values[currentSlot()].CopyTo(ref dst));
    }
}
