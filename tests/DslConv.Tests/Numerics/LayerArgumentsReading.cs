using DslConv.Models;

namespace DslConv.Tests;

/// <summary>
/// Reads a layer description's per-kind arguments the way a tool outside DslConv does (public API only): the window
/// of a convolution or pool, the pads of any padded layer, a kind's epsilon, scale or regularizer.
/// </summary>
internal static class LayerArgumentsReading
{
    public static WindowArguments Window(this LayerDescription layer) => layer.Arguments switch
    {
        ConvolutionArguments convolution => convolution.Window,
        WindowArguments window => window,
        _ => throw new ArgumentException($"{layer.Name} ({layer.Type}) has no window."),
    };

    /// <summary>Zero rows and columns on each side: a window's padding or ZeroPadding2D's; none for other kinds.</summary>
    public static (int Top, int Bottom, int Left, int Right) Pads(this LayerDescription layer) => layer.Arguments switch
    {
        ConvolutionArguments { Window: var w } => (w.PadTop, w.PadBottom, w.PadLeft, w.PadRight),
        WindowArguments w => (w.PadTop, w.PadBottom, w.PadLeft, w.PadRight),
        PaddingArguments p => (p.Top, p.Bottom, p.Left, p.Right),
        _ => (0, 0, 0, 0),
    };

    public static float Epsilon(this LayerDescription layer) => ((BatchNormArguments)layer.Arguments!).Epsilon;

    public static RescalingArguments Rescaling(this LayerDescription layer) => (RescalingArguments)layer.Arguments!;

    /// <summary>Keras's kernel_regularizer (L1, L2); zeros for a layer without one.</summary>
    public static (float L1, float L2) Regularizer(this LayerDescription layer) => layer.Arguments switch
    {
        ConvolutionArguments c => (c.KernelL1, c.KernelL2),
        DenseArguments d => (d.KernelL1, d.KernelL2),
        _ => (0f, 0f),
    };
}
