// Compiled into the runtime and, linked, into the generator (DSLCONV_GENERATOR: internal there), with KerasNames: the
// layer kinds and their Keras names are defined once for both sides.
namespace DslConv.Models;

/// <summary>The kind of a generated layer.</summary>
#if DSLCONV_GENERATOR
internal
#else
public
#endif
enum LayerType
{
    Conv2D,
    MaxPool,
    Flatten,
    Dense,
}
