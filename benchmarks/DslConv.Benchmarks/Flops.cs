using DslConv.Models;

namespace DslConv.Benchmarks;

/// <summary>
/// Floating-point operations per image, counted from a model's architecture (a multiply-add is 2): what the task needs.
/// A convolution whose only reader is a valid max pool counts only the output rows and columns some window reads (an
/// 11 x 11 convolution under a 2 x 2 pool: 10 x 10), which is what DslConv's fused pass computes; libtorch and ONNX
/// Runtime compute the unread ones too, so their share of the peak is, if anything, understated by as much.
/// The count is the direct convolution's: where DslConv runs a 3x3 layer as Winograd F(2x2, 3x3) (16 multiplications
/// where the direct one does 36), its GFLOP/s are effective ones and can pass 100 % of the peak.
/// </summary>
internal static class Flops
{
    /// <summary>Forward pass: convolutions and dense layers (pooling, activations and the loss are not counted).</summary>
    public static double Forward(ModelDescription model) => Enumerable.Range(0, model.Layers.Count).Sum(i => LayerForward(model, i));

    /// <summary>
    /// One training image: forward, then the kernel gradient of every parameter layer (as many FLOPs as its forward)
    /// and the input gradient of every parameter layer but the first (same again).
    /// </summary>
    public static double Training(ModelDescription model)
    {
        var parameterLayers = Enumerable.Range(0, model.Layers.Count).Where(i => model.Layers[i].HasParameters).ToList();
        return Forward(model) + parameterLayers.Sum(i => LayerForward(model, i)) + parameterLayers.Skip(1).Sum(i => LayerForward(model, i));
    }

    /// <summary>Every kernel weight meets one input value per (used) output position: 2 * kernel length * output pixels.</summary>
    private static double LayerForward(ModelDescription model, int index)
    {
        LayerDescription layer = model.Layers[index];
        if (layer.OutputShape.Count != 3) return 2.0 * layer.KernelLength; // a dense layer's output is one "pixel"
        var (height, width) = (layer.OutputShape[0], layer.OutputShape[1]);
        if (index + 1 < model.Layers.Count && model.Layers[index + 1] is { Type: LayerType.MaxPool, Arguments: WindowArguments pool } next
            && next.Inputs is null && model.Layers.Skip(index + 2).All(later => later.Inputs?.Contains(layer.Name) != true)
            && pool.PadTop + pool.PadBottom + pool.PadLeft + pool.PadRight == 0)
        {
            height = Math.Min(height, (next.OutputShape[0] - 1) * pool.StrideHeight + pool.Height);
            width = Math.Min(width, (next.OutputShape[1] - 1) * pool.StrideWidth + pool.Width);
        }
        return 2.0 * layer.KernelLength * height * width;
    }
}
