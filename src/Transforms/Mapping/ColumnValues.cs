using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.MirrorGan;

/// <summary>
/// Converts between ML.NET's getter representation (ReadOnlyMemory, VBuffer ...) and the plain .NET values
/// a transformer's batch code works with (string, float[] ...).
/// </summary>
internal static class ColumnValues
{
    /// <summary>A function that reads the current value of <paramref name="column"/> from <paramref name="row"/> as a plain object.</summary>
    public static Func<object?> Reader(DataViewRow row, DataViewSchema.Column column)
    {
        var type = column.Type;
        if (type is TextDataViewType)
        {
            var g = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> v = default;
            return () => { g(ref v); return v.ToString(); };
        }
        if (type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Single)
        {
            var g = row.GetGetter<VBuffer<float>>(column);
            VBuffer<float> v = default;
            return () => { g(ref v); var dense = new float[v.Length]; v.CopyTo(dense); return dense; };
        }
        if (type is ImageDataViewType)
        {
            var g = row.GetGetter<MLImage>(column);
            // A fresh slot per call: ML.NET's image loader disposes the MLImage it finds in the slot, which would
            // dispose the images a batch is still holding.
            return () =>
            {
                MLImage? v = null;
                try
                {
                    g(ref v!);
                }
                catch (ArgumentException e)
                {
                    // ML.NET's loader reports a corrupt file as "Invalid input stream contents" without naming it.
                    throw new InvalidDataException(
                        $"Row {row.Position}: column '{column.Name}' holds an image file that cannot be decoded ({e.Message}). " +
                        "The file is corrupt or not an image; fix or remove it.", e);
                }
                return v;
            };
        }
        return (Func<object?>)typeof(ColumnValues).GetMethod(nameof(ScalarReader), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(type.RawType).Invoke(null, new object[] { row, column })!;
    }

    private static Func<object?> ScalarReader<T>(DataViewRow row, DataViewSchema.Column column)
    {
        var g = row.GetGetter<T>(column);
        T v = default!;
        return () => { g(ref v); return v; };
    }

    /// <summary>A getter that serves a plain object produced by a transformer in ML.NET's representation.</summary>
    public static ValueGetter<T> Getter<T>(DataViewType type, Func<object?> current)
    {
        if (type is TextDataViewType)
        {
            ValueGetter<ReadOnlyMemory<char>> g = (ref ReadOnlyMemory<char> dst) => dst = ((string?)current() ?? "").AsMemory();
            return (ValueGetter<T>)(Delegate)g;
        }
        if (type is VectorDataViewType)
        {
            ValueGetter<VBuffer<float>> g = (ref VBuffer<float> dst) =>
            {
                var src = (float[])current()!;
                var ed = VBufferEditor.Create(ref dst, src.Length);
                src.AsSpan().CopyTo(ed.Values);
                dst = ed.Commit();
            };
            return (ValueGetter<T>)(Delegate)g;
        }
        return (ref T dst) => dst = (T)current()!;
    }
}
