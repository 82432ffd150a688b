using System.Collections.Generic;
using DslConv.Generators.Emit;
using DslConv.Generators.Model;
using DslConv.Generators.Validation;
using DslConv.Quantization;
using Microsoft.CodeAnalysis;

namespace DslConv.Generators.Layers;

/// <summary>
/// Everything the generator knows about one layer kind, in one place (one subclass per kind, one file each, after
/// SimpleChains.jl's per-layer protocol): how its attribute is read, its shape rule and diagnostics, its parameters,
/// its Keras names, the buffers it needs, and the forward and backward code it emits. The rest of the generator asks
/// these questions of the definition and never switches on the kind; the registry (<see cref="LayerDefinitions"/>)
/// checks that every kind has exactly one definition.
/// </summary>
internal abstract class LayerDefinition
{
    public abstract LayerKind Kind { get; }

    /// <summary>The attribute's name as users write it: [Conv2D], [MaxPool], ...</summary>
    public string AttributeName => Kind.ToString();

    /// <summary>The attribute class the pipeline listens for.</summary>
    public string AttributeMetadataName => "DslConv." + AttributeName + "Attribute";

    /// <summary>Keras's class name, shown in the summary.</summary>
    public abstract string KerasClass { get; }

    /// <summary>Keras's automatic name prefix ("conv2d", then "conv2d_1", ...).</summary>
    public abstract string NamePrefix { get; }

    /// <summary>Keras's name of its first weight ("kernel"; DepthwiseConv2D's "depthwise_kernel").</summary>
    public virtual string KernelName => "kernel";

    /// <summary>Its part in int8 inference (the rules are Int8Support's, shared with the runtime).</summary>
    public virtual Int8Role Int8Role => Int8Role.None;

    /// <summary>Reads the attribute's arguments (already checked to be free of errors) into this kind's spec.</summary>
    public abstract LayerSpec Parse(AttributeData attribute, LocationInfo? location);

    /// <summary>DSLC012 for an enum argument of this kind (beyond the activation, which every layer has) outside its values.</summary>
    public virtual bool CheckEnumArguments(LayerSpec spec, List<DiagnosticInfo> diagnostics) => true;

    /// <summary>
    /// Keras's shape rule: plans the layer on <paramref name="input"/> with its parameters from
    /// <paramref name="parameterOffset"/>, or reports on the attribute why it cannot and returns null.
    /// </summary>
    public abstract LayerPlan? Plan(LayerSpec spec, TensorShape input, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics);

    /// <summary>
    /// Plans the layer on everything it reads, each input's name and shape in order (one for every kind but the merges,
    /// which override this and check their inputs agree).
    /// </summary>
    public virtual LayerPlan? PlanMerge(LayerSpec spec, IReadOnlyList<(string Name, TensorShape Shape)> inputs, int parameterOffset, LayerNamer names, List<DiagnosticInfo> diagnostics) =>
        Plan(spec, inputs[0].Shape, parameterOffset, names, diagnostics);

    /// <summary>Reads several tensors (Add, Concatenate): its backward pass adds to its inputs' gradients itself where they have several readers.</summary>
    public virtual bool IsMerge => false;

    /// <summary>How the Keras layer is written, for comments: Conv2D(64, (3, 3), strides=(1, 1), ...).</summary>
    public abstract string KerasCall(LayerPlan layer);

    /// <summary>
    /// The output grid its window slides over, for its geometry: its output's (height, width), except for a global pool,
    /// whose one window gives a 1 x 1 grid though its output is flat.
    /// </summary>
    public virtual (int Height, int Width) WindowOutput(LayerPlan layer) => (layer.Output.Height, layer.Output.Width);

    /// <summary>Whether a model may end with this layer: its output is the class scores the loss reads.</summary>
    public virtual bool CanBeLast => false;

    /// <summary>A view of its input (no buffer, no pass of its own), as Flatten is: (H, W, C) row-major already is Keras's flatten order.</summary>
    public virtual bool IsView => false;

    /// <summary>
    /// Behaves differently in training (ComputeGradients, a trainer's step) than in Predict and evaluation, keyed on the
    /// workspace's Training and Share (Dropout, BatchNorm); a model with such a layer gets those fields.
    /// </summary>
    public virtual bool UsesTrainingMode => false;

    /// <summary>
    /// Whether the layer's input gradient reads its kernel transposed to (out, in): the model transposes such kernels
    /// once per training step (TransposeKernels), not once per micro-shard.
    /// </summary>
    public virtual bool TransposesKernel => false;

    /// <summary>
    /// Per-image float arrays this layer keeps beyond its output and gradient: by default the pre-activations, when its
    /// activation's derivative needs them (GELU, swish); Dropout's mask, BatchNorm's normalised values.
    /// </summary>
    public virtual IEnumerable<(string Suffix, string Description)> ExtraPerImageArrays(LayerPlan layer) => Passes.PreActivationArray(layer);

    /// <summary>Normalises with the whole batch's statistics (BatchNorm): the trainer keeps worker 0's for the step that follows.</summary>
    public virtual bool UsesBatchStatistics => false;

    /// <summary>
    /// Arrays of a fixed length (not per image) the layer keeps in the workspace: field suffix, length (a C# expression:
    /// a number, or a runtime call where the runtime decides the size), doc.
    /// </summary>
    public virtual IEnumerable<(string Suffix, string Length, string Description)> FixedArrays(ModelPlan plan, int index) => [];

    /// <summary>
    /// A product with a kernel and a bias per output channel (Conv2D, DepthwiseConv2D, Dense): a BatchNorm right after
    /// it, when it has no activation of its own, folds into it at inference (see <see cref="BatchNormFolding"/>).
    /// </summary>
    public virtual bool FoldsFollowingBatchNorm => false;

    /// <summary>Takes Keras's kernel_regularizer as the named arguments KernelL1 and KernelL2 (Conv2D, DepthwiseConv2D, Dense).</summary>
    public virtual bool HasKernelRegularizer => false;

    /// <summary>The constants naming where its parameters lie (kernel and bias by default), with their Keras shapes.</summary>
    public virtual void EmitParameterOffsets(SourceWriter w, LayerPlan layer)
    {
        w.Line($"private const int {layer.Identifier}KernelOffset = {layer.KernelOffset}; // {layer.Name}/{KernelName} {KernelShape(layer)}");
        if (layer.BiasSize > 0) w.Line($"private const int {layer.Identifier}BiasOffset = {layer.BiasOffset}; // {layer.Name}/bias ({layer.BiasSize})");
    }

    /// <summary>Keras's initialisation of its parameters (Glorot-uniform kernel by default; the zero bias is the new array's).</summary>
    public virtual void EmitInitialization(SourceWriter w, LayerPlan layer)
    {
        var (fanIn, fanOut) = GlorotFans(layer);
        w.Line($"{Names.Training}.Initializers.GlorotUniform(_parameters.AsSpan({layer.Identifier}KernelOffset, {layer.KernelSize}), fanIn: {fanIn}, fanOut: {fanOut}, ref random);");
    }

    /// <summary>
    /// What the layer does after a training step's update (BatchNorm: its moving statistics), from the workspace
    /// <c>statistics</c>; returns whether it wrote anything.
    /// </summary>
    public virtual bool EmitAfterStep(SourceWriter w, LayerPlan layer, int index) => false;

    /// <summary>
    /// The <c>LayerArguments</c> its Architecture entry carries beyond the common fields, as a C# expression
    /// (<c>new global::DslConv.Models.WindowArguments(...)</c>); null for kinds that take nothing more.
    /// </summary>
    public virtual string? DescriptionArguments(LayerPlan layer) => null;

    /// <summary>The layer's window as a <c>WindowArguments</c> expression (convolutions and windowed pools).</summary>
    protected static string WindowArguments(LayerPlan layer) =>
        $"new global::DslConv.Models.WindowArguments({layer.WindowHeight}, {layer.WindowWidth}, strideHeight: {layer.StrideHeight}, strideWidth: {layer.StrideWidth}" +
        (layer.PadTop == 0 && layer.PadBottom == 0 && layer.PadLeft == 0 && layer.PadRight == 0
            ? ")" // padding "valid": the constructor's zeros
            : $", padTop: {layer.PadTop}, padBottom: {layer.PadBottom}, padLeft: {layer.PadLeft}, padRight: {layer.PadRight})");

    /// <summary>Keras's kernel_regularizer as init properties (<c> { KernelL2 = 0.01f }</c>), or "" without one.</summary>
    protected static string RegularizerInitializer(LayerPlan layer)
    {
        if (!layer.Spec.IsRegularized) return "";
        var parts = new System.Collections.Generic.List<string>();
        if (layer.Spec.KernelL1 != 0) parts.Add($"KernelL1 = {Literals.Float(layer.Spec.KernelL1)}");
        if (layer.Spec.KernelL2 != 0) parts.Add($"KernelL2 = {Literals.Float(layer.Spec.KernelL2)}");
        return " { " + string.Join(", ", parts) + " }";
    }

    /// <summary>Keeps, per output element, the index of the input element it came from (max pooling's winners).</summary>
    public virtual bool KeepsArgmax => false;

    /// <summary>Floats of one image's im2col patches when this layer runs as a matrix product over them; 0 otherwise.</summary>
    public virtual long PatchFloats(LayerPlan layer) => 0;

    /// <summary>Keras's kernel shape as text, "(kh, kw, in, out)" or "(in, out)", for layers with parameters.</summary>
    public virtual string KernelShape(LayerPlan layer) => "()";

    /// <summary>Glorot's fan-in and fan-out of the kernel, for layers with parameters.</summary>
    public virtual (int FanIn, int FanOut) GlorotFans(LayerPlan layer) => (0, 0);

    /// <summary>
    /// A planning fact: whether this layer and the one after it run as one pass per image (a convolution and the max
    /// pool that follows it). The fused pass is emitted by this definition.
    /// </summary>
    public virtual bool FusesWith(LayerPlan layer, LayerPlan next) => false;

    /// <summary>How single-image Predict splits this layer's work over threads (the planner checks the rest).</summary>
    public virtual SingleImageSplit SingleImage => SingleImageSplit.Unsupported;

    /// <summary>The forward pass over a batch, as one method; views emit none.</summary>
    public virtual void EmitForward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index) { }

    /// <summary>The backward pass over a batch: parameter gradients accumulated with +=, the input gradient overwritten.</summary>
    public virtual void EmitBackward(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index) { }

    /// <summary>
    /// Its int8 forward pass, one method named <see cref="Int8Passes.Method"/> (layers on bytes: products, pools); views,
    /// identities and layers folded into a product have none. Only asked when the model has int8 inference.
    /// </summary>
    public virtual void EmitInt8Forward(SourceWriter w, ModelPlan plan, Int8Tensors tensors, int index) =>
        throw new System.InvalidOperationException($"{AttributeName} has no int8 pass.");

    /// <summary>Bytes per image of its int8 output (a convolution fused with its pool keeps only the pixels the pool reads).</summary>
    public virtual long Int8OutputSize(LayerPlan layer, Int8Tensors tensors, int index) => layer.Output.Size;

    /// <summary>The one-pass scratch its int8 pass needs (patches, int32 sums, floats), added to the workspace's maxima.</summary>
    public virtual void AddInt8Scratch(Int8Scratch scratch, ModelPlan plan, Int8Tensors tensors, int index) { }

    /// <summary>Its float code on the input before the bytes begin (a layer whose <see cref="Int8Role"/> is FloatInput).</summary>
    public virtual void EmitInt8FloatInput(SourceWriter w, LayerPlan layer) =>
        throw new System.InvalidOperationException($"{AttributeName} does not run on the int8 model's float input.");

    /// <summary>The fused forward and backward of this layer and the next (see <see cref="FusesWith"/>).</summary>
    public virtual void EmitFused(SourceWriter w, ModelPlan plan, BufferLayout buffers, int index) =>
        throw new System.InvalidOperationException($"{AttributeName} fuses with no layer.");
}

/// <summary>A layer's part in single-image Predict, where one image's layers are split over the inference threads.</summary>
internal enum SingleImageSplit
{
    /// <summary>No split written for this layer: a model holding it predicts single images on one thread.</summary>
    Unsupported,
    /// <summary>A view: nothing to run.</summary>
    View,
    /// <summary>A convolution fused with its pool: split by pooled rows, or by pixels for the last one.</summary>
    Convolution,
    /// <summary>Runs inside the convolution before it (a fused max pool).</summary>
    InsideConvolution,
    /// <summary>A dense layer: split by whole 16-unit blocks.</summary>
    Units,
}
