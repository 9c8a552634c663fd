using Microsoft.ML.Data;

namespace Microsoft.ML.MirrorGan.Onnx;

/// <summary>
/// The estimator of an ONNX-backed MirrorGAN transformer: nothing to train, <see cref="Fit"/> opens the export
/// folder (so a wrong folder fails at Fit, naming the file) and returns the transformer.
/// </summary>
/// <typeparam name="T">The transformer type.</typeparam>
public sealed class MirrorGanOnnxEstimator<T> : IEstimator<T> where T : class, ITransformer
{
    private readonly Func<T> _create;
    private readonly string _inputColumn;
    private readonly DataViewType _inputType;
    private readonly SchemaShape.Column[] _outputs;

    internal MirrorGanOnnxEstimator(Func<T> create, string inputColumn, DataViewType inputType, SchemaShape.Column[] outputs)
    {
        _create = create;
        _inputColumn = inputColumn;
        _inputType = inputType;
        _outputs = outputs;
    }

    /// <summary>Opens the ONNX graphs and checks the input schema.</summary>
    public T Fit(IDataView input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        var transformer = _create();
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var col = inputSchema.FirstOrDefault(c => c.Name == _inputColumn);
        if (col.Name is null || col.ItemType.GetType() != _inputType.GetType())
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{_inputColumn}' must exist and be {_inputType}.");
        return SchemaShapes.With(inputSchema, _outputs);
    }
}
