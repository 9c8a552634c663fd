using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Microsoft.ML.MirrorGan.Evaluation;

/// <summary>Feeds CHW images in [−1, 1] to an ONNX image model: resize, normalise, batch, and flatten each output row.</summary>
internal sealed class OnnxImageRunner : IDisposable
{
    private static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f }, ImageNetStd = { 0.229f, 0.224f, 0.225f };

    private readonly InferenceSession _session;
    private readonly OnnxImageModelOptions _options;
    private readonly string _input, _output;
    private readonly int _height, _width, _fixedBatch;

    public OnnxImageRunner(InferenceSession session, OnnxImageModelOptions? options, string source)
    {
        _session = session;
        _options = options ?? new OnnxImageModelOptions();
        if (_options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.BatchSize, "BatchSize must be positive.");
        _input = _options.InputName ?? session.InputMetadata.Keys.First();
        _output = _options.OutputName ?? session.OutputMetadata.Keys.First();
        if (!session.InputMetadata.TryGetValue(_input, out var meta))
            throw new ArgumentException($"ONNX model {source} has no input '{_input}'; it has {string.Join(", ", session.InputMetadata.Keys.Select(k => $"'{k}'"))}.", nameof(options));
        if (!session.OutputMetadata.ContainsKey(_output))
            throw new ArgumentException($"ONNX model {source} has no output '{_output}'; it has {string.Join(", ", session.OutputMetadata.Keys.Select(k => $"'{k}'"))}.", nameof(options));
        var dims = meta.Dimensions;
        if (meta.ElementType != typeof(float) || dims.Length != 4 || (dims[1] > 0 && dims[1] != 3))
            throw new ArgumentException($"ONNX model {source}: input '{_input}' is {meta.ElementType.Name}[{string.Join(",", dims)}]; an N×3×H×W float input is required.", nameof(options));
        _fixedBatch = dims[0] > 0 ? dims[0] : 0;
        (_height, _width) = (Side(dims[2], "H"), Side(dims[3], "W"));

        int Side(int modelValue, string axis)
        {
            if (modelValue > 0)
            {
                if (_options.InputSize is int wanted && wanted != modelValue)
                    throw new ArgumentException($"ONNX model {source} fixes {axis} = {modelValue}, but InputSize is {wanted}.", nameof(options));
                return modelValue;
            }
            return _options.InputSize is int size && size > 0 ? size
                : throw new ArgumentException($"ONNX model {source}: input '{_input}' has a symbolic {axis}; set OnnxImageModelOptions.InputSize.", nameof(options));
        }
    }

    public string InputName => _input;

    public string OutputName => _output;

    /// <summary>One flattened output row per image.</summary>
    public float[][] Run(IReadOnlyList<float[]> images, int imageSize)
    {
        if (images is null) throw new ArgumentNullException(nameof(images));
        int batch = _fixedBatch > 0 ? _fixedBatch : _options.BatchSize;
        var result = new List<float[]>(images.Count);
        for (int start = 0; start < images.Count; start += batch)
        {
            int n = Math.Min(batch, images.Count - start);
            float[] pixels;
            using (var scope = NewDisposeScope())
            {
                var x = ImageFeatureExtractors.ToTensor(images, start, n, imageSize);
                if (x.shape[2] != _height || x.shape[3] != _width)
                    x = nn.functional.interpolate(x, new long[] { _height, _width }, mode: InterpolationMode.Bilinear, align_corners: false);
                pixels = x.contiguous().data<float>().ToArray();
            }
            Normalise(pixels, _height * _width);
            int fed = _fixedBatch > 0 ? _fixedBatch : n;
            if (fed > n) Array.Resize(ref pixels, fed * 3 * _height * _width); // zero padding, its outputs are dropped
            var tensor = new DenseTensor<float>(pixels, new[] { fed, 3, _height, _width });
            using var outputs = _session.Run(new[] { NamedOnnxValue.CreateFromTensor(_input, tensor) }, new[] { _output });
            var y = outputs.First().AsTensor<float>();
            if (y.Dimensions.Length < 1 || y.Dimensions[0] != fed)
                throw new InvalidOperationException($"Output '{_output}' has shape [{string.Join(",", y.Dimensions.ToArray())}]; its first dimension must be the batch ({fed}).");
            var values = y.ToArray();
            int row = values.Length / fed;
            for (int i = 0; i < n; i++) result.Add(values.AsSpan(i * row, row).ToArray());
        }
        return result.ToArray();
    }

    private void Normalise(float[] pixels, int plane)
    {
        switch (_options.Normalization)
        {
            case OnnxImageNormalization.MinusOneToOne: return;
            case OnnxImageNormalization.ZeroToOne: for (int i = 0; i < pixels.Length; i++) pixels[i] = (pixels[i] + 1) / 2; return;
            case OnnxImageNormalization.ZeroTo255: for (int i = 0; i < pixels.Length; i++) pixels[i] = (pixels[i] + 1) * 127.5f; return;
            case OnnxImageNormalization.ImageNet:
                for (int i = 0; i < pixels.Length; i++)
                {
                    int c = i / plane % 3;
                    pixels[i] = ((pixels[i] + 1) / 2 - ImageNetMean[c]) / ImageNetStd[c];
                }
                return;
            default: throw new ArgumentOutOfRangeException(nameof(OnnxImageModelOptions.Normalization), _options.Normalization, "Unknown normalisation.");
        }
    }

    public void Dispose() => _session.Dispose();
}
