namespace DslConv;

/// <summary>
/// Keras <c>GlobalAveragePooling2D()</c>: the mean of each channel over the whole image, (H, W, C) -> (C). The output is flat, so a
/// <c>[Dense]</c> may follow without <c>[Flatten]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAvgPoolAttribute : LayerAttribute;
