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

    private static double LayerForward(LayerDescription layer) => layer.Type switch
    {
        LayerType.Conv2D => 2.0 * layer.OutputShape[0] * layer.OutputShape[1] * layer.OutputShape[2]
                            * layer.WindowHeight * layer.WindowWidth * layer.InputShape[2],
        LayerType.Dense => 2.0 * layer.InputShape[0] * layer.OutputShape[0],
        _ => 0,
    };
}
