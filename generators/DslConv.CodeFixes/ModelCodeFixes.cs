using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslConv.CodeFixes;

/// <summary>
/// The fixes for DslConv's diagnostics where the change is clear: DSLC001 adds <c>partial</c> to every declaration,
/// DSLC002 adds an <c>[Input(28, 28, 1)]</c> to fill in, DSLC006 inserts <c>[Flatten]</c> before the Dense,
/// DSLC008 moves <c>Activation.Softmax</c> to the last Dense, DSLC020 moves an augmentation layer to before the first
/// layer with parameters, DSLC021 on a one-unit head adds <c>[Loss(Loss.BinaryCrossentropy)]</c>, and DSLC024 on an
/// Add gives it <c>Shortcut = Shortcut.Projection</c> (a 1x1 Conv2D with the stride that makes the shapes match). Each works on
/// the syntax the diagnostic points at and changes nothing else.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ModelCodeFixes)), Shared]
public sealed class ModelCodeFixes : CodeFixProvider
{
    public const string NotPartial = "DSLC001";
    public const string MissingInput = "DSLC002";
    public const string DenseNeedsFlatten = "DSLC006";
    public const string SoftmaxNotLast = "DSLC008";
    public const string AugmentationAfterParameters = "DSLC020";
    public const string LossDoesNotFitHead = "DSLC021";
    public const string MergeShapeMismatch = "DSLC024";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(NotPartial, MissingInput, DenseNeedsFlatten, SoftmaxNotLast, AugmentationAfterParameters, LossDoesNotFitHead,
            MergeShapeMismatch);

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            CodeAction? action = diagnostic.Id switch
            {
                NotPartial => node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } type
                    ? CodeAction.Create("Make the model class partial", token => AddPartial(context.Document, type, token), NotPartial)
                    : null,
                MissingInput => node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } type
                    ? Edit("Add [Input(28, 28, 1)] (height, width, channels)", context.Document, root, type, AddInput(type), MissingInput)
                    : null,
                DenseNeedsFlatten => node.FirstAncestorOrSelf<AttributeSyntax>() is { } dense
                    ? InsertBefore("Insert [Flatten] before the Dense layer", context.Document, root, dense, "Flatten", DenseNeedsFlatten)
                    : null,
                SoftmaxNotLast => node.FirstAncestorOrSelf<AttributeSyntax>() is { } layer && MoveSoftmax(layer) is { } moved
                    ? Edit("Move Activation.Softmax to the last Dense layer", context.Document, root, moved.Type, moved.Fixed, SoftmaxNotLast)
                    : null,
                AugmentationAfterParameters => node.FirstAncestorOrSelf<AttributeSyntax>() is { } augmentation && MoveAugmentation(augmentation) is { } fixedType
                    ? Edit("Move the augmentation before the first layer with parameters", context.Document, root,
                        augmentation.FirstAncestorOrSelf<TypeDeclarationSyntax>()!, fixedType, AugmentationAfterParameters)
                    : null,
                LossDoesNotFitHead when diagnostic.GetMessage().StartsWith("SparseCategoricalCrossentropy", System.StringComparison.Ordinal)
                                        && node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } type =>
                    Edit("Add [Loss(Loss.BinaryCrossentropy)] for a one-output binary model", context.Document, root, type,
                        type.WithAttributeLists(type.AttributeLists.Add(List("Loss(Loss.BinaryCrossentropy)").WithTrailingTrivia(SyntaxFactory.EndOfLine("\n")))),
                        LossDoesNotFitHead),
                MergeShapeMismatch when diagnostic.GetMessage().Contains("1x1 Conv2D projection")
                                        && node.FirstAncestorOrSelf<AttributeSyntax>() is { ArgumentList: { } arguments } add =>
                    Edit("Project the shortcut with a 1x1 Conv2D (Shortcut = Shortcut.Projection)", context.Document, root, add,
                        add.WithArgumentList(arguments.AddArguments(SyntaxFactory.ParseAttributeArgumentList("(Shortcut = Shortcut.Projection)")!.Arguments[0])),
                        MergeShapeMismatch),
                _ => null,
            };
            if (action is not null) context.RegisterCodeFix(action, diagnostic);
        }
    }

    private static CodeAction Edit(string title, Document document, SyntaxNode root, SyntaxNode old, SyntaxNode replacement, string key) =>
        CodeAction.Create(title, _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(old, replacement))), key);

    /// <summary>An attribute from its text ("Flatten", "Input(28, 28, 1)"), parsed as the compiler would read it on a class.</summary>
    private static AttributeSyntax Attribute(string text) =>
        ((TypeDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration($"[{text}] class C {{ }}")!).AttributeLists[0].Attributes[0];

    private static AttributeListSyntax List(string attribute) =>
        SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(Attribute(attribute)));

    /// <summary>DSLC001: 'partial' on every declaration of the type, in whichever documents they are.</summary>
    private static async Task<Solution> AddPartial(Document document, TypeDeclarationSyntax type, CancellationToken token)
    {
        SemanticModel? model = await document.GetSemanticModelAsync(token).ConfigureAwait(false);
        Solution solution = document.Project.Solution;
        if (model?.GetDeclaredSymbol(type, token) is not INamedTypeSymbol symbol) return solution;
        foreach (var group in symbol.DeclaringSyntaxReferences.GroupBy(reference => reference.SyntaxTree))
        {
            Document? owner = solution.GetDocument(group.Key);
            if (owner is null) continue;
            SyntaxNode root = await group.Key.GetRootAsync(token).ConfigureAwait(false);
            var declarations = group.Select(reference => (TypeDeclarationSyntax)reference.GetSyntax(token)).ToList();
            root = root.ReplaceNodes(declarations, (original, _) => original.Modifiers.Any(SyntaxKind.PartialKeyword)
                ? original
                : original.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
            solution = solution.WithDocumentSyntaxRoot(owner.Id, root);
        }
        return solution;
    }

    /// <summary>DSLC002: [Input(28, 28, 1)] as the class's first attribute, with the layers' indentation.</summary>
    private static TypeDeclarationSyntax AddInput(TypeDeclarationSyntax type)
    {
        AttributeListSyntax input = List("Input(28, 28, 1)");
        if (type.AttributeLists.Count == 0)
            return type.WithAttributeLists(SyntaxFactory.SingletonList(input.WithLeadingTrivia(type.GetLeadingTrivia()).WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"))))
                .WithModifiers(type.Modifiers.Count > 0 ? type.Modifiers.Replace(type.Modifiers[0], type.Modifiers[0].WithLeadingTrivia()) : type.Modifiers);
        AttributeListSyntax first = type.AttributeLists[0];
        return type.WithAttributeLists(type.AttributeLists.Insert(0, input.WithLeadingTrivia(first.GetLeadingTrivia()).WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"))));
    }

    /// <summary>DSLC006 (and the like): a new attribute just before <paramref name="target"/>, in its list or as a list of its own.</summary>
    private static CodeAction InsertBefore(string title, Document document, SyntaxNode root, AttributeSyntax target, string attribute, string key)
    {
        var list = (AttributeListSyntax)target.Parent!;
        SyntaxNode old = list, replacement;
        if (list.Attributes.Count == 1 && list.Parent is TypeDeclarationSyntax type)
        {
            int index = type.AttributeLists.IndexOf(list);
            replacement = type.WithAttributeLists(type.AttributeLists.Insert(index,
                List(attribute).WithLeadingTrivia(list.GetLeadingTrivia()).WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"))));
            old = type;
        }
        else
        {
            replacement = list.WithAttributes(list.Attributes.Insert(list.Attributes.IndexOf(target), Attribute(attribute)));
        }
        return Edit(title, document, root, old, replacement, key);
    }

    /// <summary>DSLC008: Softmax off the layer that has it (its activation argument removed) and onto the last [Dense].</summary>
    private static (TypeDeclarationSyntax Type, TypeDeclarationSyntax Fixed)? MoveSoftmax(AttributeSyntax layer)
    {
        if (layer.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type) return null;
        AttributeSyntax? lastDense = type.AttributeLists.SelectMany(list => list.Attributes).LastOrDefault(attribute => Name(attribute) == "Dense");
        if (lastDense is null || lastDense == layer) return null;
        AttributeArgumentSyntax? softmax = layer.ArgumentList?.Arguments.FirstOrDefault(IsSoftmax);
        if (softmax is null) return null;
        AttributeArgumentSyntax? activation = lastDense.ArgumentList?.Arguments.FirstOrDefault(IsActivation);
        AttributeSyntax newDense = activation is null
            ? lastDense.AddArgumentListArguments(SyntaxFactory.AttributeArgument(SyntaxFactory.ParseExpression("Activation.Softmax")))
            : lastDense.ReplaceNode(activation, activation.WithExpression(SyntaxFactory.ParseExpression("Activation.Softmax").WithTriviaFrom(activation.Expression)));
        AttributeSyntax newLayer = layer.WithArgumentList(layer.ArgumentList!.WithArguments(layer.ArgumentList.Arguments.Remove(softmax)));
        TypeDeclarationSyntax fixedType = type.ReplaceNodes(new[] { layer, lastDense }, (original, _) => original == layer ? newLayer : newDense);
        return (type, fixedType);
    }

    /// <summary>DSLC020: the augmentation's attribute list moved to just before the first layer that has parameters.</summary>
    private static TypeDeclarationSyntax? MoveAugmentation(AttributeSyntax augmentation)
    {
        if (augmentation.Parent is not AttributeListSyntax { Attributes.Count: 1 } list || list.Parent is not TypeDeclarationSyntax type) return null;
        int from = type.AttributeLists.IndexOf(list);
        int to = -1;
        for (int i = 0; i < from && to < 0; i++)
            if (type.AttributeLists[i].Attributes.Any(attribute => Name(attribute) is "Conv2D" or "DepthwiseConv2D" or "Dense" or "BatchNorm"))
                to = i;
        if (to < 0) return null;
        SyntaxList<AttributeListSyntax> lists = type.AttributeLists.RemoveAt(from);
        return type.WithAttributeLists(lists.Insert(to, list.WithLeadingTrivia(type.AttributeLists[to].GetLeadingTrivia())));
    }

    private static string Name(AttributeSyntax attribute)
    {
        string name = attribute.Name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => attribute.Name.ToString(),
        };
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    private static bool IsActivation(AttributeArgumentSyntax argument) =>
        argument.NameEquals is null && argument.Expression.ToString().Contains("Activation.");

    private static bool IsSoftmax(AttributeArgumentSyntax argument) =>
        argument.NameEquals is null && argument.Expression.ToString().EndsWith("Activation.Softmax", System.StringComparison.Ordinal);
}
