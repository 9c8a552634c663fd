using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan.Data;

/// <summary>
/// A lazy, random-access <see cref="IDataView"/> over rows addressed by index: every value (images included) is
/// computed when a cursor reads it, so large datasets are never held decoded in memory.
/// </summary>
internal sealed class DatasetView : IDataView
{
    private readonly DatasetColumn[] _columns;
    private readonly long _rowCount;
    private readonly Action<long, Exception>? _skipBadImage;

    /// <param name="rowCount">Number of rows.</param>
    /// <param name="columns">The columns, in schema order.</param>
    /// <param name="skipBadImage">
    /// When set, a cursor that reads the image column decodes it while moving and skips rows whose image cannot be
    /// decoded (the action is told the row and the error, to log and count it); when null a bad image throws on read.
    /// </param>
    public DatasetView(long rowCount, IEnumerable<DatasetColumn> columns, Action<long, Exception>? skipBadImage = null)
    {
        _rowCount = rowCount;
        _columns = columns.ToArray();
        _skipBadImage = skipBadImage;
        var builder = new DataViewSchema.Builder();
        foreach (var c in _columns)
            builder.AddColumn(c.Name, c.Type);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => true;
    public DataViewSchema Schema { get; }

    // With skipping on, the number of readable rows is only known after decoding every image.
    public long? GetRowCount() => _skipBadImage is null ? _rowCount : null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet(), rand);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    internal sealed class Cursor : DataViewRowCursor
    {
        private readonly DatasetView _view;
        private readonly HashSet<int> _active;
        private readonly long[]? _order;
        private readonly DatasetColumn? _checkedImage;
        private long _index = -1, _position = -1, _imageRow = -1;
        private MLImage? _image;
        private bool _done;

        public Cursor(DatasetView view, HashSet<int> active, Random? rand)
        {
            _view = view;
            _active = active;
            if (rand is not null)
            {
                _order = new long[view._rowCount];
                for (long i = 0; i < _order.LongLength; i++) _order[i] = i;
                for (long i = _order.LongLength - 1; i > 0; i--)
                {
                    long j = rand.NextInt64(i + 1);
                    (_order[i], _order[j]) = (_order[j], _order[i]);
                }
            }
            if (view._skipBadImage is not null)
                _checkedImage = view._columns.Where((c, i) => c.IsImage && active.Contains(i)).FirstOrDefault();
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        /// <summary>The dataset row the cursor is on (after shuffling).</summary>
        internal long CheckedRow => _position >= 0 && !_done
            ? (_order is null ? _index : _order[_index])
            : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");

        public override bool MoveNext()
        {
            if (_done) return false;
            while (true)
            {
                _index++;
                if (_index >= _view._rowCount)
                {
                    _done = true;
                    _image = null;
                    return false;
                }
                _position++;
                if (_checkedImage is null) return true;
                try
                {
                    _image = _checkedImage.LoadImage(CheckedRow);
                    _imageRow = CheckedRow;
                    return true;
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    _position--;
                    _view._skipBadImage!(_order is null ? _index : _order[_index], e);
                }
            }
        }

        internal MLImage? CurrentImage(DatasetColumn column)
        {
            long row = CheckedRow;
            if (_imageRow != row)
            {
                _image = column.LoadImage(row);
                _imageRow = row;
            }
            return _image;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            return _view._columns[column.Index].MakeGetter(this) as ValueGetter<TValue>
                ?? throw new InvalidOperationException(
                    $"Column '{column.Name}' has type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)CheckedRow, 0);
    }
}
