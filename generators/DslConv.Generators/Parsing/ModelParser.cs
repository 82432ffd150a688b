using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DslConv.Generators.Emit;
using DslConv.Generators.Layers;
using DslConv.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslConv.Generators.Parsing;

/// <summary>
/// Attributes -> <see cref="ModelSpec"/>. The only step that sees symbols and syntax; it reads values and locations
/// out of them and lets nothing else escape. Incomplete code (attributes with errors) is skipped, never thrown on.
/// </summary>
internal static class ModelParser
{
    public const string Namespace = "DslConv";
    public const string InputAttribute = Namespace + ".InputAttribute";

    /// <summary>[From("layer")]: not a layer and not a trigger; it names what the layer after it reads.</summary>
    public const string FromAttribute = Namespace + ".FromAttribute";

    /// <summary>[Loss(...)]: not a trigger (a model is found by its layers), read when present.</summary>
    public const string LossAttribute = Namespace + ".LossAttribute";
    public const string EmbedWeightsAttribute = Namespace + ".EmbedWeightsAttribute";

    /// <summary>Every attribute that makes a class a model ([Input] and each layer definition's); the pipeline listens for each.</summary>
    public static readonly ImmutableArray<string> TriggerAttributes =
        ImmutableArray.Create(InputAttribute, BlockAttribute).AddRange(LayerDefinitions.All.Select(definition => definition.AttributeMetadataName));

    /// <summary>[Block(typeof(...))]: inlines a block class's layers (a trigger: a model may be made of blocks alone).</summary>
    public const string BlockAttribute = Namespace + ".BlockAttribute";

    /// <summary>[LayerBlock]: the class is a block to inline, not a model; the generator makes nothing for it.</summary>
    public const string LayerBlockAttribute = Namespace + ".LayerBlockAttribute";

    /// <summary>
    /// Reads one annotated type. Never throws on user code: anything unexpected becomes DSLC018 on that model alone, so
    /// that one strange declaration cannot stop generation for the rest of the project (CS8785).
    /// </summary>
    public static ModelSpec? Parse(ISymbol target, SemanticModel semanticModel, int position, CancellationToken cancellationToken)
    {
        if (target is not INamedTypeSymbol type || IsBlock(type)) return null;
        try
        {
            return ParseType(type, cancellationToken) with
            {
                TakenShortNames = ShortNames.Taken(semanticModel, position, type).ToEquatableArray(),
            };
        }
        catch (System.OperationCanceledException)
        {
            throw;
        }
        catch (System.Exception e)
        {
            LocationInfo? location = LocationInfo.From(type.Locations.FirstOrDefault(l => l.IsInSource));
            var failure = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, location, type.Name, $"{e.GetType().Name}: {e.Message}");
            return new ModelSpec(type.ToDisplayString(), null, type.Name, location, null, EquatableArray<LayerSpec>.Empty,
                new[] { failure }.ToEquatableArray(), EquatableArray<UserMember>.Empty);
        }
    }

    private static ModelSpec ParseType(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var declarations = type.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .ToList();
        LocationInfo? classLocation = LocationInfo.From(declarations.FirstOrDefault()?.Identifier.GetLocation());
        string className = type.Name;

        if (DeclarationProblem(type, declarations) is var (problem, fix))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDeclaration, classLocation, className, problem, fix));
        else if (declarations.Any(declaration => !declaration.Modifiers.Any(SyntaxKind.PartialKeyword)))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, classLocation, className));
        string? unsupported = type.ContainingType is not null ? "nested in another type"
            : type.IsGenericType ? "generic"
            : type.IsStatic ? "static"
            : null;
        if (unsupported is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedClass, classLocation, className, unsupported));
        if (BaseClassProblem(type) is var (baseName, reason))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedBaseClass, classLocation, className, baseName, reason));

        InputSpec? input = null;
        LossKind loss = LossKind.SparseCategoricalCrossentropy;
        double labelSmoothing = 0, huberDelta = 1;
        LocationInfo? lossLocation = null;
        string? embedWeights = null;
        LocationInfo? embedWeightsLocation = null;
        var layers = new List<(AttributeSyntax Syntax, int Sub, LayerSpec Layer)>();
        var froms = new List<(AttributeSyntax Syntax, string Layer)>();
        var blockNames = new Dictionary<string, int>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name == LossAttribute && ArgumentsAreUsable(attribute))
            {
                loss = (LossKind)Int(attribute, 0);
                labelSmoothing = LayerRules.NamedDouble(attribute, "LabelSmoothing", 0);
                huberDelta = LayerRules.NamedDouble(attribute, "Delta", 1);
                lossLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax lossSyntax ? LocationInfo.From(lossSyntax) : null;
                continue;
            }
            if (name == EmbedWeightsAttribute && ArgumentsAreUsable(attribute))
            {
                embedWeights = attribute.ConstructorArguments[0].Value as string;
                embedWeightsLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax embedSyntax ? LocationInfo.From(embedSyntax) : null;
                continue;
            }
            if (name == InputAttribute && ArgumentsAreUsable(attribute)
                && attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax inputSyntax)
            {
                input = new InputSpec(Int(attribute, 0), Int(attribute, 1), Int(attribute, 2), LocationInfo.From(inputSyntax));
                continue;
            }
            CollectLayer(attribute, name, layers, froms, blockNames, depth: 0, diagnostics, cancellationToken);
        }

        // Attribute order is layer order: sort by position in source (GetAttributes follows declaration order, which
        // across partial files is not defined, hence DSLC011).
        var ordered = Ordered(layers);
        var owners = ordered.Select(entry => entry.Syntax.FirstAncestorOrSelf<TypeDeclarationSyntax>()).Distinct().ToList();
        if (owners.Count > 1)
        {
            var stray = ordered.First(entry => entry.Syntax.FirstAncestorOrSelf<TypeDeclarationSyntax>() != owners[0]);
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSplitAcrossDeclarations,
                LocationInfo.From(stray.Syntax), className));
        }

        var numbered = AttachFroms(ordered, froms, diagnostics)
            .Select((layer, index) => layer with { Position = index + 1 }).ToEquatableArray();
        return new ModelSpec(type.ToDisplayString(), NamespaceInCode(type), className, classLocation, input, numbered,
            diagnostics.ToEquatableArray(), UserMembers(type, classLocation).ToEquatableArray(), Loss: loss, LossLocation: lossLocation, LabelSmoothing: labelSmoothing, HuberDelta: huberDelta,
            EmbedWeights: embedWeights, EmbedWeightsLocation: embedWeightsLocation);
    }

    /// <summary>The layers in source order; a block use's layers at the use, in the block's order.</summary>
    private static List<(AttributeSyntax Syntax, LayerSpec Layer)> Ordered(List<(AttributeSyntax Syntax, int Sub, LayerSpec Layer)> layers) =>
        layers
            .OrderBy(entry => entry.Syntax.SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(entry => entry.Syntax.SpanStart)
            .ThenBy(entry => entry.Sub)
            .Select(entry => (entry.Syntax, entry.Layer))
            .ToList();

    /// <summary>
    /// One attribute of a model or a block: a layer, a [From], or a [Block] use (inlined here). Anything else is left
    /// to the caller.
    /// </summary>
    private static void CollectLayer(AttributeData attribute, string? name, List<(AttributeSyntax Syntax, int Sub, LayerSpec Layer)> layers,
        List<(AttributeSyntax Syntax, string Layer)> froms, Dictionary<string, int> blockNames, int depth, List<DiagnosticInfo> diagnostics,
        CancellationToken cancellationToken)
    {
        if (name is null || attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax) return;
        if (!ArgumentsAreUsable(attribute)) return; // the compiler already reports the broken argument
        if (name == FromAttribute)
        {
            froms.Add((syntax, attribute.ConstructorArguments[0].Value as string ?? ""));
            return;
        }
        if (name == BlockAttribute)
        {
            int sub = 0;
            foreach (LayerSpec layer in BlockExpander.Expand(attribute, syntax, blockNames, depth, diagnostics, cancellationToken))
                layers.Add((syntax, sub++, layer));
            return;
        }
        if (LayerDefinitions.ForAttribute(name) is not { } definition) return;
        LayerSpec spec = definition.Parse(attribute, LocationInfo.From(syntax));
        if (definition.HasKernelRegularizer)
            spec = spec with
            {
                KernelL1 = LayerRules.NamedDouble(attribute, "KernelL1", 0),
                KernelL2 = LayerRules.NamedDouble(attribute, "KernelL2", 0),
                UseBias = LayerRules.NamedBool(attribute, "UseBias", true),
            };
        layers.Add((syntax, 0, spec with { Name = LayerRules.NamedString(attribute, "Name"), Trainable = LayerRules.NamedBool(attribute, "Trainable", true) }));
    }

    /// <summary>The layers (in order, [From]s attached) that a block class's attributes declare, for one use.</summary>
    internal static List<LayerSpec> BlockLayers(INamedTypeSymbol block, Dictionary<string, int> blockNames, int depth,
        List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var layers = new List<(AttributeSyntax Syntax, int Sub, LayerSpec Layer)>();
        var froms = new List<(AttributeSyntax Syntax, string Layer)>();
        foreach (AttributeData attribute in block.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            CollectLayer(attribute, attribute.AttributeClass?.ToDisplayString(), layers, froms, blockNames, depth, diagnostics, cancellationToken);
        }
        return AttachFroms(Ordered(layers), froms, diagnostics).ToList();
    }

    internal static bool IsBlock(INamedTypeSymbol type) =>
        type.GetAttributes().Any(attribute => attribute.AttributeClass?.ToDisplayString() == LayerBlockAttribute);

    /// <summary>
    /// Gives each [From] to the layer attribute after it in source order; a [From] with no layer after it, or right
    /// before another [From], is DSLC025.
    /// </summary>
    private static IEnumerable<LayerSpec> AttachFroms(List<(AttributeSyntax Syntax, LayerSpec Layer)> ordered,
        List<(AttributeSyntax Syntax, string Layer)> froms, List<DiagnosticInfo> diagnostics)
    {
        var pending = froms
            .OrderBy(entry => entry.Syntax.SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(entry => entry.Syntax.SpanStart)
            .ToList();
        var layers = new List<LayerSpec>();
        int next = 0;
        foreach (var (syntax, layer) in ordered)
        {
            (AttributeSyntax Syntax, string Layer)? from = null;
            while (next < pending.Count && Before(pending[next].Syntax, syntax))
            {
                if (from is { } earlier)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedFrom, LocationInfo.From(earlier.Syntax), earlier.Layer,
                        $"another [From(\"{pending[next].Layer}\")] comes first: keep one"));
                from = pending[next++];
            }
            if (from is { } f && layer.From is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedFrom, LocationInfo.From(f.Syntax), f.Layer,
                    "the block used after it starts with a [From] of its own: keep one"));
            layers.Add(from is { } f2 && layer.From is null ? layer with { From = f2.Layer, FromLocation = LocationInfo.From(f2.Syntax) } : layer);
        }
        for (; next < pending.Count; next++)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedFrom, LocationInfo.From(pending[next].Syntax), pending[next].Layer,
                "it is the last graph attribute: add the branch's layers after it, or remove it"));
        return layers;
    }

    private static bool Before(AttributeSyntax a, AttributeSyntax b)
    {
        int file = string.CompareOrdinal(a.SyntaxTree.FilePath, b.SyntaxTree.FilePath);
        return file < 0 || (file == 0 && a.SpanStart < b.SpanStart);
    }

    /// <summary>The containing namespace as code writes it, each keyword segment escaped ("@class.Models"); null for the global one.</summary>
    private static string? NamespaceInCode(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            parts.Insert(0, Identifiers.Escape(ns.Name));
        return parts.Count == 0 ? null : string.Join(".", parts);
    }

    /// <summary>Declarations the generated partial class cannot join, with what to do instead (DSLC015).</summary>
    private static (string Problem, string Fix)? DeclarationProblem(INamedTypeSymbol type, List<TypeDeclarationSyntax> declarations)
    {
        const string AsClass = "declare the model as a 'partial class'";
        if (type.TypeKind == TypeKind.Struct)
            return (type.IsRecord ? "a record struct" : "a struct", AsClass + " (a model owns large buffers and must not be copied)");
        if (type.TypeKind == TypeKind.Interface) return ("an interface", AsClass);
        if (type.TypeKind != TypeKind.Class) return ($"a {type.TypeKind.ToString().ToLowerInvariant()}", AsClass);
        if (type.IsRecord)
            return ("a record", AsClass + "; a record's generated copy and equality would share and compare the model's buffers");
        if (type.ContainingType is null && type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.NotApplicable))
            return ($"declared '{SyntaxFacts.GetText(Modifier(type.DeclaredAccessibility))}' in a namespace, which C# does not allow", "make it 'public' or 'internal'");
        if (declarations.Any(declaration => declaration.Modifiers.Any(SyntaxKind.FileKeyword)))
            return ("file-local ('file' modifier), which code generated into another file cannot extend", "make it 'internal' instead");
        if (declarations.Any(declaration => declaration.ParameterList is not null))
            return ("declared with a primary constructor, which the generated 'new " + type.Name + "(int seed)' constructor would have to call",
                "remove the parameter list and keep those values in fields or properties");
        return null;
    }

    private static SyntaxKind Modifier(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Private => SyntaxKind.PrivateKeyword,
        Accessibility.Protected or Accessibility.ProtectedOrInternal or Accessibility.ProtectedAndInternal => SyntaxKind.ProtectedKeyword,
        _ => SyntaxKind.InternalKeyword,
    };

    /// <summary>A base class the generated constructor cannot build on (DSLC016).</summary>
    private static (string BaseName, string Reason)? BaseClassProblem(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Class || type.BaseType is not { } baseType || baseType.SpecialType == SpecialType.System_Object
            || baseType.TypeKind == TypeKind.Error)
            return null;
        for (INamedTypeSymbol? ancestor = baseType; ancestor is not null; ancestor = ancestor.BaseType)
            if (IsModel(ancestor))
                return (baseType.ToDisplayString(), $"which is{(ancestor.Equals(baseType, SymbolEqualityComparer.Default) ? "" : " derived from")} the DslConv model '{ancestor.Name}'; a model cannot inherit another model's layers and generated members: declare its layers again, or hold the other model in a field");
        bool callable = baseType.InstanceConstructors.Any(constructor =>
            constructor.Parameters.All(parameter => parameter.IsOptional || parameter.IsParams) && Accessible(constructor, type));
        return callable ? null
            : (baseType.ToDisplayString(), $"which has no parameterless constructor that '{type.Name}' can call; the generated '{type.Name}(int seed)' constructor calls base(): give '{baseType.Name}' an accessible parameterless constructor, or derive from object");
    }

    private static bool IsModel(INamedTypeSymbol type) =>
        type.GetAttributes().Any(attribute => attribute.AttributeClass?.ToDisplayString() is string name && TriggerAttributes.Contains(name));

    private static bool Accessible(IMethodSymbol constructor, INamedTypeSymbol from) => constructor.DeclaredAccessibility switch
    {
        Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal => true,
        Accessibility.Internal or Accessibility.ProtectedAndInternal =>
            SymbolEqualityComparer.Default.Equals(constructor.ContainingAssembly, from.ContainingAssembly),
        _ => false,
    };

    /// <summary>
    /// Every name the user's class already uses: its own members (any accessibility, nested types included), the
    /// non-private members it inherits, and a constructor taking one int (recorded as ".ctor(int)"). The emitter
    /// compares them with the names it generates (DSLC017).
    /// </summary>
    private static IEnumerable<UserMember> UserMembers(INamedTypeSymbol type, LocationInfo? classLocation)
    {
        foreach (ISymbol member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared) continue;
            LocationInfo? location = LocationInfo.From(member.Locations.FirstOrDefault(l => l.IsInSource));
            if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
            {
                if (constructor.Parameters.Length == 1 && constructor.Parameters[0].Type.SpecialType == SpecialType.System_Int32)
                    yield return new UserMember(".ctor(int)", "constructor", false, location);
                continue;
            }
            if (member.CanBeReferencedByName) yield return new UserMember(member.Name, Describe(member), false, location);
        }
        for (INamedTypeSymbol? ancestor = type.BaseType; ancestor is not null && ancestor.SpecialType != SpecialType.System_Object; ancestor = ancestor.BaseType)
            foreach (ISymbol member in ancestor.GetMembers())
                if (!member.IsImplicitlyDeclared && member.CanBeReferencedByName && member.DeclaredAccessibility != Accessibility.Private)
                    yield return new UserMember(member.Name, Describe(member) + " inherited from '" + ancestor.Name + "'", true, classLocation);
    }

    private static string Describe(ISymbol member) => member switch
    {
        INamedTypeSymbol => "nested type",
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol { IsConst: true } => "constant",
        IFieldSymbol => "field",
        IEventSymbol => "event",
        _ => "member",
    };

    private static bool ArgumentsAreUsable(AttributeData attribute) =>
        attribute.AttributeConstructor is not null
        && attribute.ConstructorArguments.All(Usable)
        && attribute.NamedArguments.All(argument => Usable(argument.Value));

    // An array's Value throws: its elements are checked instead ([Add("a", "b")]'s params).
    private static bool Usable(TypedConstant argument) =>
        argument.Kind == TypedConstantKind.Array
            ? !argument.IsNull && argument.Values.All(Usable)
            : argument.Kind != TypedConstantKind.Error && argument.Value is not null;

    private static int Int(AttributeData attribute, int index) =>
        index < attribute.ConstructorArguments.Length ? ToInt(attribute.ConstructorArguments[index].Value) : 0;

    private static int ToInt(object? value) => value switch
    {
        int i => i,
        _ => 0,
    };
}
