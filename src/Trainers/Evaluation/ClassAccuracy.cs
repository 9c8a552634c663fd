namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>
/// Class accuracy of generated images: the share whose most probable class (by a classifier such as
/// <see cref="FashionMnistClassifier"/>) equals the class their caption asked for.
/// </summary>
public static class ClassAccuracy
{
    /// <summary>Share of rows whose arg-max equals <paramref name="classIds"/> (ties go to the lower class).</summary>
    public static double Compute(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> classIds)
    {
        if (probabilities is null) throw new ArgumentNullException(nameof(probabilities));
        if (classIds is null) throw new ArgumentNullException(nameof(classIds));
        if (probabilities.Count != classIds.Count)
            throw new ArgumentException($"{probabilities.Count} probability rows but {classIds.Count} class ids; give one class per image.", nameof(classIds));
        if (probabilities.Count == 0) throw new ArgumentException("Class accuracy needs at least one image.", nameof(probabilities));
        int hits = 0;
        for (int i = 0; i < probabilities.Count; i++)
        {
            var row = probabilities[i];
            if ((uint)classIds[i] >= (uint)row.Length)
                throw new ArgumentException($"Image {i} asks for class {classIds[i]}, but the classifier knows classes 0-{row.Length - 1}.", nameof(classIds));
            int best = 0;
            for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
            hits += best == classIds[i] ? 1 : 0;
        }
        return (double)hits / probabilities.Count;
    }
}
