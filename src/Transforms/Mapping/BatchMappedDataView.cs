using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan;

/// <summary>The lazy result of <see cref="MirrorGanTransformerBase.Transform"/>: maps rows in batches.</summary>
internal sealed class BatchMappedDataView : IDataView
{
    private readonly IDataView _source;
    private readonly BoundMapping _mapping;
    private readonly int _batchSize;

    public BatchMappedDataView(IDataView source, BoundMapping mapping, int batchSize)
    {
        _source = source;
        _mapping = mapping;
        _batchSize = batchSize;
    }

    public bool CanShuffle => _source.CanShuffle;
    public DataViewSchema Schema => _mapping.OutputSchema;
    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var input = _source.GetRowCursor(_mapping.Dependencies(needed), rand);
        return new Cursor(_mapping, input, needed, _batchSize);
    }

    // One cursor: batching across parallel cursors would split batches and gain nothing on one network.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BoundMapping _m;
        private readonly DataViewRowCursor _in;
        private readonly int _capacity;
        private readonly Dictionary<int, ColumnCache> _passThrough = new();
        private readonly HashSet<int> _active;
        private readonly bool _computeOutputs;
        private readonly Func<object?>[] _inputReaders;
        private readonly InputBatch _inputs;
        private readonly OutputBatch _outputs;
        private readonly DataViewRowId[] _ids;
        private readonly ValueGetter<DataViewRowId> _idSource;
        private int _slot = -1, _count;
        private long _position = -1;

        public Cursor(BoundMapping m, DataViewRowCursor input, List<DataViewSchema.Column> needed, int capacity)
        {
            _m = m;
            _in = input;
            _capacity = capacity;
            _active = new HashSet<int>(needed.Select(c => c.Index));
            foreach (var c in needed)
                if (!m.IsOutput(c.Index))
                    _passThrough[c.Index] = ColumnCache.Create(input, m.InputSchema[c.Index], capacity);
            _computeOutputs = needed.Any(c => m.IsOutput(c.Index));
            _inputReaders = _computeOutputs
                ? m.Readers(input)
                : Array.Empty<Func<object?>>();
            _inputs = m.NewInputBatch(capacity);
            _inputs.RowPositions = new long[capacity];
            _outputs = new OutputBatch(m.OutputCount, capacity);
            _ids = new DataViewRowId[capacity];
            _idSource = input.GetIdGetter();
        }

        public override DataViewSchema Schema => _m.OutputSchema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override bool MoveNext()
        {
            if (_slot + 1 < _count)
            {
                _slot++;
                _position++;
                return true;
            }
            _count = 0;
            while (_count < _capacity && _in.MoveNext())
            {
                foreach (var cache in _passThrough.Values) cache.Read(_count);
                _idSource(ref _ids[_count]);
                if (_computeOutputs)
                {
                    for (int c = 0; c < _inputReaders.Length; c++) _inputs.Raw(c)[_count] = _inputReaders[c]();
                    _inputs.RowPositions[_count] = _in.Position;
                }
                _count++;
            }
            if (_count == 0) return false;
            if (_computeOutputs)
            {
                _inputs.Count = _outputs.Count = _count;
                _m.Owner.Map(_inputs, _outputs);
            }
            _slot = 0;
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId dst) => dst = _ids[_slot];

        public override ValueGetter<T> GetGetter<T>(DataViewSchema.Column column)
        {
            if (!_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            if (_m.IsOutput(column.Index))
            {
                int o = column.Index - _m.InputSchema.Count;
                return ColumnValues.Getter<T>(column.Type, () => _outputs.Get(o, _slot));
            }
            return (ValueGetter<T>)_passThrough[column.Index].Getter(() => _slot);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _in.Dispose();
            base.Dispose(disposing);
        }
    }
}
