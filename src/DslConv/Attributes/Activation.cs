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
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
    /// <summary>Softmax over the units; only on the last layer, where it fuses with the cross-entropy loss.</summary>
    Softmax = 4,
}
