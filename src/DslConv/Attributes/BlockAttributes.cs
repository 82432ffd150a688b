namespace DslConv;

/// <summary>
/// Marks a class whose layer attributes are a reusable block rather than a model: its attributes are written once and
/// inlined wherever a model says <c>[Block(typeof(ThisClass), ...)]</c>. Inside it, <see cref="Block.Filters"/>,
/// <see cref="Block.Stride"/> and <see cref="Block.Width"/> stand for the values each use gives, <see cref="Block.Input"/>
/// names the tensor the block starts from, and its layers' names are scoped per use ("conv1" in the use named
/// "stage2_block1" is "stage2_block1_conv1").
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LayerBlockAttribute : Attribute;

/// <summary>The placeholders a <see cref="LayerBlockAttribute"/> class's attributes use; each <c>[Block]</c> use fills them in.</summary>
public static class Block
{
    /// <summary>The tensor the block starts from (the output before the <c>[Block]</c> use), for its shortcut: <c>[Add(Block.Input)]</c>.</summary>
    public const string Input = "(block input)";

    /// <summary>The use's <see cref="BlockAttribute.Filters"/>: a layer's filters or units.</summary>
    public const int Filters = -1_000_001;

    /// <summary>The use's <see cref="BlockAttribute.Stride"/>.</summary>
    public const int Stride = -1_000_002;

    /// <summary>The use's <see cref="BlockAttribute.Width"/>: a second channel count (MobileNetV2's expanded width, a bottleneck's inner one).</summary>
    public const int Width = -1_000_003;
}

/// <summary>
/// Inlines the layers of a <see cref="LayerBlockAttribute"/> class here, reading the previous attribute's output (or a
/// [From]'s), with its placeholders filled in: <c>[Block(typeof(BasicBlock), Filters = 32, Stride = 2, Name = "stage2_block1")]</c>.
/// With <see cref="Repeat"/> n the block is inlined n times, each copy reading the one before it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BlockAttribute(Type block) : Attribute
{
    /// <summary>The class marked [LayerBlock] whose layer attributes are inlined.</summary>
    public Type Type { get; } = block;

    /// <summary>What <see cref="DslConv.Block.Filters"/> stands for in this use.</summary>
    public int Filters { get; set; }

    /// <summary>What <see cref="DslConv.Block.Stride"/> stands for (1 by default); with <see cref="Repeat"/>, only the first copy's, the others' being 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>What <see cref="DslConv.Block.Width"/> stands for in this use.</summary>
    public int Width { get; set; }

    /// <summary>How many copies, one after the other (1 by default).</summary>
    public int Repeat { get; set; } = 1;

    /// <summary>
    /// The prefix of the names of the block's named layers: "stage2_block1" makes "conv1" "stage2_block1_conv1". With
    /// <see cref="Repeat"/>, copy k (from 1) uses the prefix followed by k: "stage1_block" gives "stage1_block1_conv1",
    /// "stage1_block2_conv1", .... Left out: the block class's name in Keras's style and a count ("basic_block_1").
    /// </summary>
    public string? Name { get; set; }
}

/// <summary>What an <c>[Add]</c> does when a named tensor's shape differs from the current one's.</summary>
public enum Shortcut
{
    /// <summary>The shapes must match (DSLC024 otherwise).</summary>
    Identity,
    /// <summary>
    /// ResNet's projection shortcut: where the shapes differ, the named tensor goes through a 1x1 Conv2D (the current
    /// tensor's channels, the stride that makes the heights and widths match) named after the Add ("b2_add_projection").
    /// </summary>
    Projection,
    /// <summary>MobileNetV2's rule: where the shapes differ there is no Add at all, and the current tensor goes on alone.</summary>
    WhenShapesMatch,
}
