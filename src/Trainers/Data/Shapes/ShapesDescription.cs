namespace Microsoft.ML.MirrorGan.Data;

/// <summary>What a caption (or a detector) says about one object; null means "not said".</summary>
/// <param name="Color">Colour, if stated.</param>
/// <param name="Shape">Shape, if stated.</param>
/// <param name="Size">Size, if stated.</param>
/// <param name="Position">Position, if stated.</param>
public sealed record ShapesObjectDescription(ShapesColor? Color, ShapesShape? Shape, ShapesSize? Size, ShapesPosition? Position);

/// <summary>The attributes a caption states about a Shapes scene (a partial <see cref="ShapesScene"/>).</summary>
/// <param name="Background">The background, if stated.</param>
/// <param name="Objects">The objects mentioned, in caption order.</param>
public sealed record ShapesDescription(ShapesBackground? Background, IReadOnlyList<ShapesObjectDescription> Objects)
{
    /// <summary>The full description of a scene (every attribute stated).</summary>
    public static ShapesDescription Of(ShapesScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return new ShapesDescription(scene.Background,
            scene.Objects.Select(o => new ShapesObjectDescription(o.Color, o.Shape, o.Size, o.Position)).ToArray());
    }
}
