using DslConv.Models;

namespace DslConv.ParityTests;

/// <summary>
/// Tolerances for DslConv's float32 results against a float64 oracle, derived from float32 rounding rather than
/// chosen: what the oracle sees is DslConv's own rounding, so the tolerance is a bound on that rounding.
/// </summary>
/// <remarks>
/// A float32 sum of K products carries a relative error that grows like sqrt(K)·u in practice (u = 2^-24, the unit
/// roundoff; Higham and Mary's probabilistic bound, λ·sqrt(K)·u with λ a small constant), and the errors of successive
/// layers add. So a model's outputs are within C·u·Σ sqrt(K_l) of exact, summed over its layers' forward reductions
/// (a convolution's kh·kw·in, a dense layer's inputs, a pooling window, a global pool's H·W, batch statistics' N·H·W,
/// the softmax's outputs; elementwise layers round once), and its gradients within C·u times that plus the backward
/// reductions (an input gradient sums over kh·kw·out, a kernel gradient over N·H_out·W_out, a dense kernel's over N).
/// C = 8 stands for λ and for the amplification of errors by later layers. With it the lesson's model gets 4.2e-5 for
/// outputs and 9.3e-5 for gradients (the fixed 1e-5 and 1e-4 this replaced), the smallest parity model 4.7e-6 and
/// 6.8e-6; measured against libtorch float64, every parity architecture's outputs sit 10x to 1000x and its gradients 6x
/// to 1000x below their bound (the closest: ConvBnActivationParity's gradients, 9.2e-6 of 5.5e-5).
/// </remarks>
internal static class Float32Rounding
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const double Factor = 8;

    /// <summary>The normwise relative tolerance for the model's outputs and loss.</summary>
    public static double OutputTolerance(ModelDescription architecture, int batch) =>
        Factor * UnitRoundoff * Forward(architecture, batch);

    /// <summary>The normwise relative tolerance for each parameter's gradient.</summary>
    public static double GradientTolerance(ModelDescription architecture, int batch) =>
        Factor * UnitRoundoff * (Forward(architecture, batch) + Backward(architecture, batch));

    /// <summary>
    /// Each layer's float32 rounding error relative to its result, as Monte Carlo arithmetic perturbs it: γ_K ≈ K·u for a
    /// reduction of K terms. The probabilistic sqrt(K)·u above is relative to the sum of the terms' magnitudes; where
    /// terms of both signs cancel, as in a layer with Glorot weights, that sum is about sqrt(K) times the result, which
    /// brings the error relative to the result back to K·u. (With sqrt(K)·u the lesson's model trained by SGD on real
    /// images departs 2.5e-3 from the exact run in every sample, while float32 runs end 2.2e-2 away: too gentle.)
    /// </summary>
    public static double[] LayerNoise(ModelDescription architecture, int batch) =>
        architecture.Layers.Select(layer => UnitRoundoff * ForwardTerms(layer, batch)).ToArray();

    /// <summary>A layer's gradients' float32 rounding error relative to them, for Monte Carlo arithmetic: γ_K ≈ K·u of its backward reduction.</summary>
    public static double GradientNoise(LayerDescription layer, int batch) => UnitRoundoff * BackwardTerms(layer, batch);

    private static double Forward(ModelDescription architecture, int batch)
    {
        double sum = Math.Sqrt(architecture.OutputSize) + Math.Sqrt(batch); // the softmax or loss row, the batch mean
        foreach (LayerDescription layer in architecture.Layers) sum += Math.Sqrt(ForwardTerms(layer, batch));
        return sum;
    }

    private static double Backward(ModelDescription architecture, int batch)
    {
        double sum = 0;
        foreach (LayerDescription layer in architecture.Layers) sum += Math.Sqrt(BackwardTerms(layer, batch));
        return sum;
    }

    private static int ForwardTerms(LayerDescription layer, int batch) => layer.Type switch
    {
        LayerType.Conv2D => layer.Window().Height * layer.Window().Width * layer.InputShape[2],
        LayerType.DepthwiseConv2D or LayerType.AvgPool => layer.Window().Height * layer.Window().Width,
        LayerType.Dense => layer.InputShape[0],
        LayerType.GlobalAvgPool => layer.InputShape[0] * layer.InputShape[1],
        LayerType.BatchNorm => batch * Spatial(layer),
        _ => 1,
    };

    private static int BackwardTerms(LayerDescription layer, int batch) => layer.Type switch
    {
        LayerType.Conv2D or LayerType.DepthwiseConv2D => Math.Max(
            layer.Window().Height * layer.Window().Width * layer.OutputShape[2], batch * layer.OutputShape[0] * layer.OutputShape[1]),
        LayerType.Dense => Math.Max(layer.OutputShape[0], batch),
        LayerType.AvgPool => layer.Window().Height * layer.Window().Width,
        LayerType.BatchNorm => batch * Spatial(layer),
        _ => 1,
    };

    /// <summary>Positions per channel: H·W of a feature map, 1 for a flat vector.</summary>
    private static int Spatial(LayerDescription layer) =>
        layer.InputShape.Count == 3 ? layer.InputShape[0] * layer.InputShape[1] : 1;
}
