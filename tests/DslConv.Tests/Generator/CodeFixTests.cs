using DslConv.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace DslConv.Tests.Generator;

/// <summary>
/// Each code fix as the IDE applies it: the generator's diagnostic on a model, the fix's action run in a workspace,
/// and the fixed text must then generate without that diagnostic and compile.
/// </summary>
public sealed class CodeFixTests
{
    private const string Head = "using DslConv;\nnamespace Models;\n";

    [Fact]
    public void DSLC001_MakesEveryDeclarationPartial()
    {
        string fixedText = Fix(Head + "[Input(8, 8, 1)]\n[Flatten]\n[Dense(2)]\npublic class Net { }\n", "DSLC001");
        Assert.Contains("public partial class Net", fixedText);
    }

    [Fact]
    public void DSLC002_AddsAnInputTemplateFirst()
    {
        string fixedText = Fix(Head + "[Conv2D(4, 3, 3)]\n[Flatten]\n[Dense(2)]\npublic partial class Net;\n", "DSLC002");
        Assert.Contains("[Input(28, 28, 1)]\n[Conv2D(4, 3, 3)]", fixedText);
    }

    [Theory]
    [InlineData("[Input(8, 8, 1)]\n[Conv2D(4, 3, 3)]\n[Dense(2)]\npublic partial class Net;\n", "[Conv2D(4, 3, 3)]\n[Flatten]\n[Dense(2)]")]
    [InlineData("[Input(8, 8, 1)]\n[Conv2D(4, 3, 3), Dense(2)]\npublic partial class Net;\n", "[Conv2D(4, 3, 3), Flatten, Dense(2)]")]
    public void DSLC006_InsertsFlattenBeforeTheDense(string model, string expected)
    {
        Assert.Contains(expected, Fix(Head + model, "DSLC006"));
    }

    [Theory]
    [InlineData("[Dense(16, Activation.Softmax)]\n[Dense(3)]", "[Dense(16)]\n[Dense(3, Activation.Softmax)]")]
    [InlineData("[Dense(16, Activation.Softmax)]\n[Dense(3, Activation.Relu)]", "[Dense(16)]\n[Dense(3, Activation.Softmax)]")]
    public void DSLC008_MovesSoftmaxToTheLastDense(string layers, string expected)
    {
        Assert.Contains(expected, Fix(Head + $"[Input(8, 8, 1)]\n[Flatten]\n{layers}\npublic partial class Net;\n", "DSLC008"));
    }

    [Fact]
    public void DSLC020_MovesAugmentationBeforeTheFirstLayerWithParameters()
    {
        string fixedText = Fix(Head + "[Input(8, 8, 1)]\n[Conv2D(4, 3, 3)]\n[RandomFlip]\n[Flatten]\n[Dense(2)]\npublic partial class Net;\n", "DSLC020");
        Assert.Contains("[Input(8, 8, 1)]\n[RandomFlip]\n[Conv2D(4, 3, 3)]\n[Flatten]", fixedText);
    }

    [Fact]
    public void DSLC021_AddsBinaryCrossentropyForAOneUnitHead()
    {
        string fixedText = Fix(Head + "[Input(8, 8, 1)]\n[Flatten]\n[Dense(1, Activation.Sigmoid)]\npublic partial class Net;\n", "DSLC021");
        Assert.Contains("[Loss(Loss.BinaryCrossentropy)]", fixedText);
    }

    [Fact]
    public void DSLC024_ProjectsTheShortcut()
    {
        string fixedText = Fix(Head + "[Input(8, 8, 1)]\n[Conv2D(4, 3, 3, Padding = Padding.Same, Name = \"a\")]\n[Conv2D(6, 3, 3, Stride = 2, Padding = Padding.Same)]\n" +
                               "[Add(\"a\")]\n[GlobalAvgPool]\n[Dense(2, Activation.Softmax)]\npublic partial class Net;\n", "DSLC024");
        Assert.Contains("[Add(\"a\", Shortcut = Shortcut.Projection)]", fixedText);
    }

    [Fact]
    public void OnlyAClearFixIsOffered()
    {
        // BinaryCrossentropy on a Softmax head: the right head depends on the data, so no fix is guessed.
        string source = Head + "[Loss(Loss.BinaryCrossentropy)]\n[Input(8, 8, 1)]\n[Flatten]\n[Dense(3, Activation.Softmax)]\npublic partial class Net;\n";
        Assert.Empty(Actions(source, "DSLC021"));
    }

    /// <summary>Applies the one fix offered for <paramref name="id"/> and checks the result is clean.</summary>
    private static string Fix(string source, string id)
    {
        var (document, actions) = Actions(source, id) is { Count: 1 } found ? found[0] : throw new Xunit.Sdk.XunitException($"expected one fix for {id}");
        var operations = actions.GetOperationsAsync(CancellationToken.None).GetAwaiter().GetResult();
        Solution changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        string fixedText = changed.GetDocument(document.Id)!.GetTextAsync().GetAwaiter().GetResult().ToString();
        var (result, output) = GeneratorHarness.Run(fixedText);
        Assert.DoesNotContain(result.Diagnostics, diagnostic => diagnostic.Id == id);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        return fixedText.Replace("\r\n", "\n");
    }

    private static List<(Document Document, CodeAction Action)> Actions(string source, string id)
    {
        Diagnostic diagnostic = GeneratorHarness.Diagnostics(source).Single(d => d.Id == id);
        var workspace = new AdhocWorkspace();
        Project project = workspace.AddProject("Models", LanguageNames.CSharp).WithParseOptions(GeneratorHarness.ParseOptions);
        Document document = project.AddDocument("Model0.cs", SourceText.From(source));
        var actions = new List<(Document, CodeAction)>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add((document, action)), CancellationToken.None);
        new ModelCodeFixes().RegisterCodeFixesAsync(context).GetAwaiter().GetResult();
        return actions;
    }
}
