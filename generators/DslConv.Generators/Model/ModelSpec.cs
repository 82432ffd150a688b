namespace DslConv.Generators.Model;

/// <summary>
/// Everything the generator needs to know about one annotated class, as values only: the output of parsing and
/// the input of validation. Holds no ISymbol, SyntaxNode or Compilation, so equal specs hit the cache.
/// </summary>
/// <remarks>
/// <see cref="Namespace"/> is written as code writes it (each keyword segment escaped with '@').
/// <see cref="TakenShortNames"/> are the short names the generated file may not use (see <see cref="Emit.ShortNames"/>).
/// </remarks>
internal sealed record ModelSpec(
    string FullName,
    string? Namespace,
    string ClassName,
    LocationInfo? ClassLocation,
    InputSpec? Input,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<DiagnosticInfo> ParseDiagnostics,
    EquatableArray<UserMember> UserMembers,
    EquatableArray<string> TakenShortNames = default,
    LossKind Loss = LossKind.SparseCategoricalCrossentropy,
    LocationInfo? LossLocation = null,
    double LabelSmoothing = 0,
    double HuberDelta = 1,
    string? EmbedWeights = null,
    LocationInfo? EmbedWeightsLocation = null);

/// <summary>The [Input(height, width, channels)] attribute.</summary>
internal sealed record InputSpec(int Height, int Width, int Channels, LocationInfo? Location);
