using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
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
    public const string Conv2DAttribute = Namespace + ".Conv2DAttribute";
    public const string MaxPoolAttribute = Namespace + ".MaxPoolAttribute";
    public const string FlattenAttribute = Namespace + ".FlattenAttribute";
    public const string DenseAttribute = Namespace + ".DenseAttribute";

    /// <summary>Every attribute that makes a class a model; the pipeline listens for each.</summary>
    public static readonly ImmutableArray<string> TriggerAttributes =
        ImmutableArray.Create(InputAttribute, Conv2DAttribute, MaxPoolAttribute, FlattenAttribute, DenseAttribute);

    public static ModelSpec? Parse(ISymbol target, CancellationToken cancellationToken)
    {
        if (target is not INamedTypeSymbol type) return null;

        var diagnostics = new List<DiagnosticInfo>();
        var declarations = type.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .ToList();
        LocationInfo? classLocation = LocationInfo.From(declarations.FirstOrDefault()?.Identifier.GetLocation());
        string className = type.Name;

        if (declarations.Any(declaration => !declaration.Modifiers.Any(SyntaxKind.PartialKeyword)))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, classLocation, className));
        string? unsupported = type.ContainingType is not null ? "nested in another type"
            : type.IsGenericType ? "generic"
            : type.IsStatic ? "static"
            : null;
        if (unsupported is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedClass, classLocation, className, unsupported));

        InputSpec? input = null;
        var layers = new List<(AttributeSyntax Syntax, LayerSpec Layer)>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name is null || !TriggerAttributes.Contains(name)) continue;
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax) continue;
            if (!ArgumentsAreUsable(attribute)) continue; // the compiler already reports the broken argument
            LocationInfo? location = LocationInfo.From(syntax);

            if (name == InputAttribute)
            {
                input = new InputSpec(Int(attribute, 0), Int(attribute, 1), Int(attribute, 2), location);
                continue;
            }
            LayerSpec? layer = name switch
            {
                Conv2DAttribute => new LayerSpec(LayerKind.Conv2D, 0, Int(attribute, 0), Int(attribute, 1), Int(attribute, 2),
                    Named(attribute, "Stride", 1), (PaddingKind)Named(attribute, "Padding", 0),
                    (ActivationKind)Int(attribute, 3), location),
                MaxPoolAttribute => new LayerSpec(LayerKind.MaxPool, 0, Int(attribute, 0), 0, 0,
                    Named(attribute, "Stride", 0), PaddingKind.Valid, ActivationKind.None, location),
                FlattenAttribute => new LayerSpec(LayerKind.Flatten, 0, 0, 0, 0, 0, PaddingKind.Valid, ActivationKind.None, location),
                DenseAttribute => new LayerSpec(LayerKind.Dense, 0, Int(attribute, 0), 0, 0, 0, PaddingKind.Valid,
                    (ActivationKind)Int(attribute, 1), location),
                _ => null,
            };
            if (layer is not null) layers.Add((syntax, layer));
        }

        // Attribute order is layer order: sort by position in source (GetAttributes follows declaration order, which
        // across partial files is not defined, hence DSLC011).
        var ordered = layers
            .OrderBy(entry => entry.Syntax.SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(entry => entry.Syntax.SpanStart)
            .ToList();
        var owners = ordered.Select(entry => entry.Syntax.FirstAncestorOrSelf<TypeDeclarationSyntax>()).Distinct().ToList();
        if (owners.Count > 1)
        {
            var stray = ordered.First(entry => entry.Syntax.FirstAncestorOrSelf<TypeDeclarationSyntax>() != owners[0]);
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSplitAcrossDeclarations,
                LocationInfo.From(stray.Syntax), className));
        }

        var numbered = ordered.Select((entry, index) => entry.Layer with { Position = index + 1 }).ToEquatableArray();
        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() : null;
        return new ModelSpec(type.ToDisplayString(), ns, className, classLocation, input, numbered, diagnostics.ToEquatableArray());
    }

    private static bool ArgumentsAreUsable(AttributeData attribute) =>
        attribute.AttributeConstructor is not null
        && attribute.ConstructorArguments.All(argument => argument.Kind != TypedConstantKind.Error && argument.Value is not null)
        && attribute.NamedArguments.All(argument => argument.Value.Kind != TypedConstantKind.Error && argument.Value.Value is not null);

    private static int Int(AttributeData attribute, int index) =>
        index < attribute.ConstructorArguments.Length ? ToInt(attribute.ConstructorArguments[index].Value) : 0;

    private static int Named(AttributeData attribute, string name, int fallback)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == name) return ToInt(argument.Value.Value);
        return fallback;
    }

    private static int ToInt(object? value) => value switch
    {
        int i => i,
        _ => 0,
    };
}
