// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there), so that both read
// the same values: one definition, not two copies kept equal by a test.
namespace DslConv;

/// <summary>Keras's convolution padding.</summary>
#if DSLCONV_GENERATOR
internal
#else
public
#endif
enum Padding
{
    /// <summary>No padding: output size is floor((input - kernel) / stride) + 1.</summary>
    Valid = 0,
    /// <summary>Zero padding so that output size is ceil(input / stride); an odd total pads one more at bottom/right.</summary>
    Same = 1,
}
