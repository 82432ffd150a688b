using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslConv.Generators.Emit;

/// <summary>
/// Makes the generated file quieter: the emitters write every type fully qualified (<c>global::DslConv.Kernels.Gemm</c>),
/// which is always right; this pass then rewrites those names to short forms (<c>Kernels.Gemm</c>, <c>Span&lt;float&gt;</c>)
/// with the <c>using</c> directives they need, except for any short name the user's code could capture (a member of
/// the model, a type or namespace of that name around it, a global using that brings another one): those names keep
/// their <c>global::</c> form. The parse step finds such names (<see cref="Taken"/>); this step only reads them.
/// The rewrite works on the syntax tree, so strings and comments are never touched.
/// </summary>
internal static class ShortNames
{
    /// <summary>Namespaces written through an alias of the same last name: <c>Kernels.Gemm.Multiply(...)</c>.</summary>
    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["DslConv.Kernels"] = "Kernels",
        ["DslConv.Training"] = "Training",
    };

    /// <summary>Namespaces imported with a using directive, and the types the generated code then writes by name alone.</summary>
    private static readonly Dictionary<string, string[]> Imports = new()
    {
        ["System"] = ["Span", "ReadOnlySpan", "Math", "MathF", "ArgumentException", "ArgumentNullException", "ArgumentOutOfRangeException",
            "InvalidOperationException", "NotSupportedException", "IDisposable", "Environment", "Action"],
        ["System.Collections.Generic"] = ["IReadOnlyList"],
        ["DslConv"] = ["Activation", "Padding", "Loss"],
        ["DslConv.Models"] = ["INetwork", "IGeneratedInference", "IGeneratedNetwork", "InferenceRuntime", "ModelDescription", "NetworkRuntime", "LayerDescription", "LayerType", "GeneratedCode",
            "WindowArguments", "ConvolutionArguments", "DenseArguments", "PaddingArguments", "BatchNormArguments", "RescalingArguments"],
        ["DslConv.Parallel"] = ["Batch", "BatchShare", "Shares"],
        ["DslConv.Data"] = ["IImageSet"],
        ["DslConv.Diagnostics"] = ["LayerProfiler"],
    };

    /// <summary>Every short name this pass may introduce, with what it must mean: a namespace or a type's full name.</summary>
    public static IEnumerable<(string Name, string Meaning, bool IsNamespace)> Candidates =>
        Aliases.Select(alias => (alias.Value, alias.Key, true))
            .Concat(Imports.SelectMany(import => import.Value.Select(type => (type, import.Key + "." + type, false))));

    /// <summary>
    /// The candidates that code at <paramref name="position"/> (the model's declaration) would not bind to what this
    /// pass means by them, or that the model itself declares or inherits: each stays fully qualified. Looking up from
    /// the user's file sees everything the generated file sees (the model's members, the namespaces around it, global
    /// usings) and more (that file's own usings), so a name it clears is safe; one it flags only stays long.
    /// </summary>
    public static IEnumerable<string> Taken(SemanticModel semanticModel, int position, INamedTypeSymbol model)
    {
        var memberNames = new HashSet<string>(System.StringComparer.Ordinal);
        for (INamedTypeSymbol? type = model; type is not null; type = type.BaseType)
            foreach (string name in type.MemberNames) memberNames.Add(name);
        foreach (var (name, meaning, isNamespace) in Candidates)
        {
            if (memberNames.Contains(name) || semanticModel.LookupNamespacesAndTypes(position, name: name).Any(symbol => !Means(symbol, meaning, isNamespace)))
                yield return name;
        }
    }

    private static bool Means(ISymbol symbol, string meaning, bool isNamespace) => isNamespace
        ? symbol is INamespaceSymbol && symbol.ToDisplayString() == meaning
        : symbol is INamedTypeSymbol { ContainingType: null } type && type.ContainingNamespace.ToDisplayString() + "." + type.Name == meaning;

    /// <summary>Rewrites the emitted <paramref name="source"/>, leaving the names in <paramref name="taken"/> fully qualified.</summary>
    public static string Shorten(string source, IEnumerable<string> taken)
    {
        var rewriter = new Rewriter(new HashSet<string>(taken, System.StringComparer.Ordinal));
        SyntaxNode root = CSharpSyntaxTree.ParseText(source).GetRoot();
        string body = rewriter.Visit(root).ToFullString();
        if (rewriter.UsedAliases.Count == 0 && rewriter.UsedImports.Count == 0) return body;
        var usings = new StringBuilder();
        foreach (string import in rewriter.UsedImports.Where(import => import != "System").OrderBy(name => name, System.StringComparer.Ordinal))
            usings.Append("using ").Append(import).Append(";\n");
        foreach (string alias in rewriter.UsedAliases.OrderBy(name => name, System.StringComparer.Ordinal))
            usings.Append("using ").Append(Aliases[alias]).Append(" = global::").Append(alias).Append(";\n");
        // After the "using System;" the emitters always write (for AsSpan on arrays).
        const string anchor = "using System;";
        int at = body.IndexOf(anchor, System.StringComparison.Ordinal);
        if (at < 0) return body;
        int lineEnd = body.IndexOf('\n', at);
        return body.Substring(0, lineEnd + 1) + usings + body.Substring(lineEnd + 1);
    }

    private sealed class Rewriter(HashSet<string> taken) : CSharpSyntaxRewriter(visitIntoStructuredTrivia: true)
    {
        public readonly HashSet<string> UsedAliases = new(System.StringComparer.Ordinal);
        public readonly HashSet<string> UsedImports = new(System.StringComparer.Ordinal);

        public override SyntaxNode? VisitQualifiedName(QualifiedNameSyntax node)
        {
            var visited = (QualifiedNameSyntax)base.VisitQualifiedName(node)!;
            return Shorter(visited.Left.ToString(), visited.Right, visited) ?? visited;
        }

        public override SyntaxNode? VisitMemberAccessExpression(MemberAccessExpressionSyntax node)
        {
            var visited = (MemberAccessExpressionSyntax)base.VisitMemberAccessExpression(node)!;
            return visited.IsKind(SyntaxKind.SimpleMemberAccessExpression)
                ? Shorter(visited.Expression.ToString(), visited.Name, visited) ?? visited
                : visited;
        }

        /// <summary>The short form of <c>global::Namespace.Name</c>, or null to keep it.</summary>
        private SyntaxNode? Shorter(string left, SimpleNameSyntax right, SyntaxNode original)
        {
            if (!left.StartsWith("global::", System.StringComparison.Ordinal)) return null;
            string space = left.Substring("global::".Length);
            string name = right.Identifier.ValueText;
            if (Aliases.TryGetValue(space + "." + name, out string? alias) && right is IdentifierNameSyntax)
            {
                if (taken.Contains(alias)) return null;
                UsedAliases.Add(space + "." + name);
                return SyntaxFactory.IdentifierName(alias).WithTriviaFrom(original);
            }
            if (Imports.TryGetValue(space, out string[]? types) && types.Contains(name) && !taken.Contains(name))
            {
                UsedImports.Add(space);
                return right.WithTriviaFrom(original);
            }
            return null;
        }
    }
}
