namespace DslConv;

/// <summary>Keras <c>Flatten()</c>: (H, W, C) becomes (H * W * C) in that order.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute;
