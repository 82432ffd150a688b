// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there), so that both read
// the same values: one definition, not two copies kept equal by a test.
namespace DslConv;

/// <summary>A layer's activation function, with Keras's meaning.</summary>
#if DSLCONV_GENERATOR
internal
#else
public
#endif
enum Activation
{
    /// <summary>Linear (identity): the layer outputs its pre-activation, e.g. logits.</summary>
    None = 0,
    /// <summary>max(0, x).</summary>
    Relu = 1,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid = 2,
    /// <summary>tanh(x).</summary>
    Tanh = 3,
    /// <summary>Softmax over the units; only on the last layer, where it fuses with the cross-entropy loss.</summary>
    Softmax = 4,
    /// <summary>Keras leaky_relu with its default negative slope 0.2: x for x &gt; 0, else 0.2 x.</summary>
    LeakyRelu = 5,
    /// <summary>Keras elu with alpha 1.0: x for x &gt; 0, else exp(x) - 1.</summary>
    Elu = 6,
    /// <summary>Keras gelu, exact (approximate=False): x Φ(x) = x (1 + erf(x / √2)) / 2.</summary>
    Gelu = 7,
    /// <summary>Keras swish (silu): x sigmoid(x).</summary>
    Swish = 8,
    /// <summary>Keras relu6 (<c>ReLU(max_value=6)</c>, MobileNet's activation): min(max(0, x), 6).</summary>
    Relu6 = 9,
}

/// <summary>Keras's name for each activation (as model.get_config() writes it), shared by the generator and the runtime.</summary>
internal static class ActivationNames
{
    public static string Keras(Activation activation) => activation switch
    {
        Activation.None => "linear",
        Activation.Relu => "relu",
        Activation.Sigmoid => "sigmoid",
        Activation.Tanh => "tanh",
        Activation.Softmax => "softmax",
        Activation.LeakyRelu => "leaky_relu",
        Activation.Elu => "elu",
        Activation.Gelu => "gelu",
        Activation.Swish => "swish",
        Activation.Relu6 => "relu6",
        _ => ((int)activation).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The largest defined value, for range checks.</summary>
    public const Activation Last = Activation.Relu6;

    /// <summary>
    /// Whether the derivative needs the pre-activation z (it cannot be written in terms of the output, and the function
    /// is not monotonic): such a layer keeps z for backward and is not fused with a max pool.
    /// </summary>
    public static bool NeedsPreActivation(Activation activation) => activation is Activation.Gelu or Activation.Swish;

    /// <summary>
    /// Whether the derivative can be written in terms of the output and the function is monotonic, so that a max pool
    /// after it can take the winner's derivative from the pooled output: every defined activation but the ones that
    /// keep their pre-activations and Softmax (fused with the loss). A pattern, not Enum.IsDefined, which allocates.
    /// </summary>
    public static bool DerivableFromOutput(Activation activation) =>
        activation >= Activation.None && activation <= Last && activation != Activation.Softmax && !NeedsPreActivation(activation);
}
