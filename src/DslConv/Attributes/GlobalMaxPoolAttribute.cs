namespace DslConv;

/// <summary>
/// Keras <c>GlobalMaxPooling2D()</c>: the maximum of each channel over the whole image, (H, W, C) -> (C). The output is flat, so a
/// <c>[Dense]</c> may follow without <c>[Flatten]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalMaxPoolAttribute : LayerAttribute;
