using Microsoft.ML.MirrorGan.Data;

namespace Microsoft.ML;

/// <summary>
/// The catalog's data half (<c>mlContext.Data</c>): loaders of MirrorGAN's training data as <see cref="IDataView"/>s, one row per (image, caption) pair. Every view has
/// <c>Caption</c> (text), <c>Image</c> (<see cref="Microsoft.ML.Data.MLImage"/>, RGB, decoded lazily when a row is
/// read), <c>ImageId</c> (Int32, shared by the captions of one image) and <c>ClassId</c> (Int32, for DAMSM same-class
/// masking and R-precision's mismatched captions), plus dataset-specific columns.
/// </summary>
public static partial class MirrorGanCatalog
{
    /// <summary>
    /// The synthetic Shapes set (deterministic, needs no files). Extra columns: <c>CaptionIndex</c> (0 is the canonical
    /// caption), <c>Background</c>, <c>ObjectCount</c> (1 or 2), and the first object's <c>Color</c>, <c>Shape</c>,
    /// <c>Size</c>, <c>Position</c> (vocabulary names); the second object of a two-object scene is in <c>Color2</c>,
    /// <c>Shape2</c>, <c>Size2</c>, <c>Position2</c>, which are empty for one-object scenes. <c>ClassId</c> is
    /// <see cref="ShapesScene.ClassId"/>: equal ids mean equal scene attributes.
    /// </summary>
    public static IDataView LoadMirrorGanShapes(this DataOperationsCatalog catalog, ShapesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ShapesDataset(options).ToDataView();
    }

    /// <summary>
    /// Fashion-MNIST from its IDX files (default: Debian's <c>dataset-fashion-mnist</c> in
    /// <see cref="FashionMnistOptions.DebianFolder"/>), as square RGB images. <c>ClassId</c> is the label (0-9); extra
    /// columns: <c>Label</c> (class name, e.g. "ankle boot"), <c>Split</c> ("train"/"test").
    /// </summary>
    public static IDataView LoadFashionMnist(this DataOperationsCatalog catalog, FashionMnistOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new FashionMnistDataset(options).ToDataView();
    }

    /// <summary>
    /// CUB-200-2011 birds in AttnGAN/MirrorGAN's layout (see <see cref="CubOptions"/>), cropped to MirrorGAN's
    /// bounding-box square. <c>ImageId</c> is the images.txt id, <c>ClassId</c> the class number (1-200); extra columns:
    /// <c>ClassName</c>, <c>ImagePath</c>, <c>BoundingBox</c> (x, y, width, height in source pixels), <c>Split</c>.
    /// </summary>
    public static IDataView LoadCub(this DataOperationsCatalog catalog, CubOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CubDataset(options).ToDataView();
    }

    /// <summary>
    /// COCO 2014 captions (see <see cref="CocoOptions"/>). <c>ImageId</c> is the COCO image id and so is <c>ClassId</c>
    /// (COCO captions have no classes); extra columns: <c>ImagePath</c>, <c>Split</c>, and empty <c>ClassName</c>/zero
    /// <c>BoundingBox</c> for schema compatibility with CUB.
    /// </summary>
    public static IDataView LoadCocoCaptions(this DataOperationsCatalog catalog, CocoOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CocoDataset(options).ToDataView();
    }
}
