using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan;

/// <summary>Row-at-a-time mapping, used by PredictionEngine and by ML.NET's row-to-row composition.</summary>
internal sealed class SingleRowMapper : IRowToRowMapper
{
    private readonly BoundMapping _m;

    public SingleRowMapper(BoundMapping mapping) => _m = mapping;

    public DataViewSchema InputSchema => _m.InputSchema;
    public DataViewSchema OutputSchema => _m.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        _m.Dependencies(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(_m, input, activeColumns);

    private sealed class Row : DataViewRow
    {
        private readonly BoundMapping _m;
        private readonly DataViewRow _in;
        private readonly HashSet<int> _active;
        private readonly Func<object?>[] _readers;
        private readonly InputBatch _inputs;
        private readonly OutputBatch _outputs;
        private long _computedFor = -1;

        public Row(BoundMapping m, DataViewRow input, IEnumerable<DataViewSchema.Column> active)
        {
            _m = m;
            _in = input;
            _active = new HashSet<int>(active.Select(c => c.Index));
            bool anyOutput = _active.Any(m.IsOutput);
            _readers = anyOutput ? m.Readers(input) : Array.Empty<Func<object?>>();
            _inputs = m.NewInputBatch(1);
            (_inputs.Count, _inputs.RowPositions) = (1, new long[1]);
            _outputs = new OutputBatch(m.OutputCount, 1) { Count = 1 };
        }

        public override DataViewSchema Schema => _m.OutputSchema;
        public override long Position => _in.Position;
        public override long Batch => _in.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _in.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        private object? Output(int o)
        {
            // PredictionEngine reuses one row object and moves its input; recompute when the position changes.
            if (_computedFor != _in.Position || _in.Position < 0)
            {
                for (int c = 0; c < _readers.Length; c++) _inputs.Raw(c)[0] = _readers[c]();
                _inputs.RowPositions[0] = _in.Position;
                _m.Owner.Map(_inputs, _outputs);
                _computedFor = _in.Position;
            }
            return _outputs.Get(o, 0);
        }

        public override ValueGetter<T> GetGetter<T>(DataViewSchema.Column column)
        {
            if (_m.IsOutput(column.Index))
            {
                int o = column.Index - _m.InputSchema.Count;
                return ColumnValues.Getter<T>(column.Type, () => Output(o));
            }
            return _in.GetGetter<T>(_m.InputSchema[column.Index]);
        }
    }
}
