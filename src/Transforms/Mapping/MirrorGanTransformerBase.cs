using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Base of this project's transformers: reads some input columns, computes some output columns a batch of
/// rows at a time (networks are far faster on batches), passes every other column through, and saves into
/// an ML.NET model zip through <see cref="ModelWriter"/>. <see cref="ITransformer.Transform"/> maps lazily in
/// batches of <see cref="BatchSize"/>; <see cref="GetRowToRowMapper"/> (used by PredictionEngine) maps one row at a time.
/// </summary>
/// <remarks>Thread-safety: the mapping state (input and output batches) lives in each cursor or row, never in the
/// transformer, so a transformer whose <see cref="MapBatch"/> only reads its own fields may be shared across threads; every
/// transformer in this library is. Each cursor and each <c>PredictionEngine</c> belongs to one thread.</remarks>
public abstract class MirrorGanTransformerBase : ITransformer, ICanSaveModel
{
    /// <summary>The host for logging and exceptions.</summary>
    protected IHost Host { get; }

    /// <summary>Creates the base.</summary>
    protected MirrorGanTransformerBase(IHostEnvironment env, string name)
    {
        if (env is null) throw new ArgumentNullException(nameof(env));
        Host = env.Register(name);
    }

    /// <summary>The input columns read by <see cref="MapBatch"/>, in the order its <see cref="InputBatch"/> holds them.</summary>
    protected abstract IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <summary>The output columns written by <see cref="MapBatch"/>, in order.</summary>
    protected abstract IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <summary>How many rows <see cref="ITransformer.Transform"/> maps per call of <see cref="MapBatch"/>.</summary>
    protected virtual int BatchSize => 32;

    /// <summary>Computes every output column for every row of <paramref name="inputs"/>.</summary>
    protected abstract void MapBatch(InputBatch inputs, OutputBatch outputs);

    internal void Map(InputBatch inputs, OutputBatch outputs) => MapBatch(inputs, outputs);

    /// <summary>Writes the transformer's state (options, column names, weights).</summary>
    protected abstract void SaveModel(ModelWriter writer);

    /// <summary>The persistence format of the concrete type.</summary>
    protected abstract MirrorGanModelFormat Format { get; }

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveModel(new ModelWriter(ctx, Format));

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).OutputSchema;

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new SingleRowMapper(Bind(inputSchema));

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        return new BatchMappedDataView(input, Bind(input.Schema), Math.Max(1, BatchSize));
    }

    internal BoundMapping Bind(DataViewSchema inputSchema)
    {
        if (inputSchema is null) throw new ArgumentNullException(nameof(inputSchema));
        var inputs = new int[InputColumns.Count];
        for (int i = 0; i < inputs.Length; i++)
        {
            var spec = InputColumns[i];
            if (spec.Optional && inputSchema.GetColumnOrNull(spec.Name) is null)
            {
                inputs[i] = -1;
                continue;
            }
            var col = inputSchema.GetColumnOrNull(spec.Name)
                ?? throw new ArgumentOutOfRangeException(nameof(inputSchema),
                    $"{GetType().Name}: input column '{spec.Name}' was not found. It must be {spec.Expected}; " +
                    $"the data has: {string.Join(", ", inputSchema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({c.Type})"))}.");
            if (!spec.Accepts(col.Type))
                throw new ArgumentOutOfRangeException(nameof(inputSchema),
                    $"{GetType().Name}: input column '{spec.Name}' has type {col.Type}, but it must be {spec.Expected}.");
            inputs[i] = col.Index;
        }
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var o in OutputColumns) builder.AddColumn(o.Name, o.Type);
        return new BoundMapping(this, inputSchema, builder.ToSchema(), inputs);
    }
}

/// <summary>A transformer bound to one input schema.</summary>
internal sealed class BoundMapping
{
    public BoundMapping(MirrorGanTransformerBase owner, DataViewSchema input, DataViewSchema output, int[] inputColumns)
    {
        Owner = owner;
        InputSchema = input;
        OutputSchema = output;
        InputColumns = inputColumns;
    }

    public MirrorGanTransformerBase Owner { get; }
    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }
    /// <summary>Input schema index of each input spec; −1 for an optional column the input does not have.</summary>
    public int[] InputColumns { get; }

    /// <summary>One value reader per input spec over <paramref name="input"/> (an absent optional column reads null).</summary>
    public Func<object?>[] Readers(DataViewRow input) =>
        InputColumns.Select(i => i < 0 ? () => null : ColumnValues.Reader(input, InputSchema[i])).ToArray();

    /// <summary>An input batch for this binding (it knows which optional columns are absent).</summary>
    public InputBatch NewInputBatch(int capacity) => new(InputColumns.Select(i => i >= 0).ToArray(), capacity);
    public int OutputCount => OutputSchema.Count - InputSchema.Count;

    public bool IsOutput(int outputSchemaIndex) => outputSchemaIndex >= InputSchema.Count;

    /// <summary>Input columns needed to produce the requested output-schema columns.</summary>
    public IEnumerable<DataViewSchema.Column> Dependencies(IEnumerable<DataViewSchema.Column> needed)
    {
        var set = new SortedSet<int>();
        bool anyOutput = false;
        foreach (var c in needed)
        {
            if (IsOutput(c.Index)) anyOutput = true;
            else set.Add(c.Index);
        }
        if (anyOutput) foreach (var i in InputColumns.Where(i => i >= 0)) set.Add(i);
        return set.Select(i => InputSchema[i]);
    }
}
