using DslConv.Models;

namespace DslConv.Benchmarks;

/// <summary>Floating-point operations per image, counted from a model's architecture (a multiply-add is 2).</summary>
internal static class Flops
{
    /// <summary>Forward pass: convolutions and dense layers (pooling, activations and the loss are not counted).</summary>
    public static double Forward(ModelDescription model) => model.Layers.Sum(LayerForward);

    /// <summary>
    /// One training image: forward, then the kernel gradient of every parameter layer (as many FLOPs as its forward)
    /// and the input gradient of every parameter layer but the first (same again).
    /// </summary>
    public static double Training(ModelDescription model)
    {
        var parameterLayers = model.Layers.Where(l => l.HasParameters).ToList();
        return Forward(model) + parameterLayers.Sum(LayerForward) + parameterLayers.Skip(1).Sum(LayerForward);
    }

    /// <summary>
    /// Every kernel weight meets one input value per output position: 2 * kernel length * output pixels (a dense
    /// layer's output is one "pixel"). Read from the description alone, so it holds for any layer with a kernel.
    /// </summary>
    private static double LayerForward(LayerDescription layer) =>
        2.0 * layer.KernelLength * (layer.OutputShape.Count == 3 ? (double)layer.OutputShape[0] * layer.OutputShape[1] : 1);
}
