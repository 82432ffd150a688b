using DslConv.Generators.Model;

namespace DslConv.Generators.Emit;

/// <summary>Names and spellings shared by the emitters, so that every file agrees on them.</summary>
internal static class Names
{
    public const string Kernels = "global::DslConv.Kernels";
    public const string Training = "global::DslConv.Training";
    public const string Parallel = "global::DslConv.Parallel";
    public const string Models = "global::DslConv.Models";
    /// <summary>The run-time checks generated models share (batch limits, thread counts, one call at a time).</summary>
    public const string GeneratedCode = "global::DslConv.Models.GeneratedCode";
    public const string Span = "global::System.Span<float>";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    public static string Activation(ActivationKind activation) => "global::DslConv.Activation." + activation;

    /// <summary>Keras's spelling of an activation argument.</summary>
    public static string KerasActivation(ActivationKind activation) =>
        activation == ActivationKind.None ? "None" : "\"" + ActivationNames.Keras(activation) + "\"";

    /// <summary>
    /// Whether the activation runs as its own elementwise pass after the product (ReLU is applied as the product is
    /// stored; Softmax is fused with the loss; None is nothing).
    /// </summary>
    public static bool AppliedAfterProduct(ActivationKind activation) =>
        activation is not (ActivationKind.None or ActivationKind.Relu or ActivationKind.Softmax);

    public static string Shape(TensorShape shape) =>
        shape.IsFlat ? $"(B, {shape.Channels})" : $"(B, {shape.Height}, {shape.Width}, {shape.Channels})";

    /// <summary>", use_bias=False" for a product declared without a bias, "" otherwise (Keras's default).</summary>
    public static string UseBias(LayerPlan layer) => layer.Spec.UseBias ? "" : ", use_bias=False";
}
