using Microsoft.CodeAnalysis;

namespace DslConv.Generators;

/// <summary>Every diagnostic the generator reports. All but DSLC027 are errors: each means no correct model can be generated.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "DslConv";
    private const string HelpBase = "https://github.com/dslconv/dslconv/blob/main/README.md#diagnostics";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpBase);

    public static readonly DiagnosticDescriptor NotPartial = Error("DSLC001",
        "Model class must be partial",
        "Model class '{0}' must be declared 'partial' so that DslConv can generate its layers; add 'partial' to every declaration");

    public static readonly DiagnosticDescriptor MissingInput = Error("DSLC002",
        "Model has no [Input]",
        "Model class '{0}' has layer attributes but no [Input(height, width, channels)]; add one to give the image shape");

    public static readonly DiagnosticDescriptor InvalidInput = Error("DSLC003",
        "Input shape must be positive",
        "[Input({0}, {1}, {2})] on '{3}' has a non-positive dimension; height, width and channels must all be at least 1");

    public static readonly DiagnosticDescriptor NonPositiveArgument = Error("DSLC004",
        "Layer argument must be positive",
        "{0} has {1} = {2}; it must be at least 1");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error("DSLC005",
        "Window larger than its input",
        "{0} ({1}) on input {2} would give output {3}; use a smaller window or stride, Padding = Padding.Same, or fewer pooling layers before it");

    public static readonly DiagnosticDescriptor DenseNeedsFlatten = Error("DSLC006",
        "Dense layer on a 3-D tensor",
        "{0} receives the 3-D tensor {1}; add [Flatten] before it");

    public static readonly DiagnosticDescriptor SpatialLayerAfterFlatten = Error("DSLC007",
        "Conv2D or MaxPool after Flatten",
        "{0} needs a 3-D (height, width, channels) input but receives the flat tensor {1}; move it before [Flatten] or remove the Flatten/Dense before it");

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Error("DSLC008",
        "Softmax only on the last layer",
        "{0} uses Activation.Softmax but is not the last layer; Softmax is fused with the loss and allowed only on the last [Dense]");

    public static readonly DiagnosticDescriptor NoLayers = Error("DSLC009",
        "Model has no layers",
        "Model class '{0}' has an [Input] but no layers; add layer attributes such as [Flatten] and [Dense(10, Activation.Softmax)]");

    public static readonly DiagnosticDescriptor LastLayerNotDense = Error("DSLC010",
        "Last layer must be Dense",
        "The last layer of '{0}' is {1} with output {2}; a classifier must end with [Dense(classes, ...)] (add [Flatten] and a [Dense])");

    public static readonly DiagnosticDescriptor LayersSplitAcrossDeclarations = Error("DSLC011",
        "Layer attributes on several partial declarations",
        "Layer attributes of '{0}' are spread over several partial declarations, so their order is undefined; put [Input] and all layer attributes on one declaration");

    public static readonly DiagnosticDescriptor UnknownEnumValue = Error("DSLC012",
        "Unknown activation or padding",
        "{0} has {1} = {2}, which is not a defined value; use one of {3}");

    public static readonly DiagnosticDescriptor ModelTooLarge = Error("DSLC013",
        "Model too large",
        "Model '{0}' needs {1} {2}; DslConv buffers are limited to {3} floats");

    public static readonly DiagnosticDescriptor UnsupportedClass = Error("DSLC014",
        "Unsupported model class",
        "Model class '{0}' is {1}; declare the model as a non-generic, non-static class directly in a namespace");

    public static readonly DiagnosticDescriptor UnsupportedDeclaration = Error("DSLC015",
        "Unsupported model declaration",
        "Model '{0}' is {1}; {2}");

    public static readonly DiagnosticDescriptor UnsupportedBaseClass = Error("DSLC016",
        "Unsupported base class",
        "Model '{0}' derives from '{1}', {2}");

    public static readonly DiagnosticDescriptor MemberNameTaken = Error("DSLC017",
        "Member name used by the generated code",
        "{0}; rename it, since DslConv generates {1} for model '{2}'");

    public static readonly DiagnosticDescriptor ArgumentOutOfRange = Error("DSLC019",
        "Layer argument out of range",
        "{0} has {1} = {2}; it must be {3}");

    public static readonly DiagnosticDescriptor AugmentationAfterParameters = Error("DSLC020",
        "Augmentation after a layer with parameters",
        "{0} comes after {1}: augmentation layers change only the training images and pass no gradient back, so put them before the first layer with parameters (Keras's models put them first, after any Rescaling)");

    public static readonly DiagnosticDescriptor LossDoesNotFitHead = Error("DSLC021",
        "Loss does not fit the last layer",
        "{0} does not fit the model's head: {1}; {2}");

    public static readonly DiagnosticDescriptor InvalidLayerName = Error("DSLC022",
        "Layer name not usable",
        "{0} has Name = \"{1}\": {2}");

    public static readonly DiagnosticDescriptor UnknownLayerName = Error("DSLC023",
        "Unknown layer name",
        "{0} reads \"{1}\", which names no layer before it; name one of: {2}");

    public static readonly DiagnosticDescriptor MergeShapeMismatch = Error("DSLC024",
        "Merged tensors do not fit",
        "{0} {1} the current tensor {2} and {3}'s output {4}: {5}");

    public static readonly DiagnosticDescriptor MisplacedFrom = Error("DSLC025",
        "[From] with no layer after it",
        "[From(\"{0}\")] must be followed by the layer that reads \"{0}\"; {1}");

    public static readonly DiagnosticDescriptor NameClash = Error("DSLC026",
        "Two layers with one name",
        "{0} is named \"{1}\", as {2} already is{3}; layer names must be unique in a model");

    public static readonly DiagnosticDescriptor UnusedOutput = new("DSLC027",
        "Layer output read by nothing",
        "The output of {0} (\"{1}\") is read by no later layer, so it does not reach the model's output and is not trained; connect it with [Add], [Concatenate] or [From], or remove it",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase);

    public static readonly DiagnosticDescriptor InvalidBlock = Error("DSLC028",
        "Block cannot be used",
        "[Block(typeof({0}))] cannot be inlined: {1}");

    public static readonly DiagnosticDescriptor EmbeddedWeightsNotFound = Error("DSLC029",
        "Weights file to embed not found",
        "[EmbedWeights(\"{0}\")] on '{1}': no AdditionalFiles item is that file; add <AdditionalFiles Include=\"{0}\" /> to the project (an item whose path ends with the path given)");

    public static readonly DiagnosticDescriptor EmbeddedWeightsUnreadable = Error("DSLC030",
        "Weights file to embed cannot be read",
        "[EmbedWeights(\"{0}\")] on '{1}': {2}");

    public static readonly DiagnosticDescriptor EmbeddedWeightsMismatch = Error("DSLC031",
        "Embedded weights do not fit the model",
        "[EmbedWeights(\"{0}\")] on '{1}': {2}; embed a file saved from this model (SaveWeights) or written for it by dslconv import");

    public static readonly DiagnosticDescriptor GeneratorFailure = Error("DSLC018",
        "DslConv could not generate this model",
        "DslConv's generator failed on '{0}' ({1}); nothing was generated for it. This is a bug in DslConv: please report it with the model's declaration.");
}
