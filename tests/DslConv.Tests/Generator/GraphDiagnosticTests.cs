using Microsoft.CodeAnalysis;

namespace DslConv.Tests.Generator;

/// <summary>The graph attributes' diagnostics (DSLC022-DSLC027): ID, severity, the attribute they point at and what the message names.</summary>
public sealed class GraphDiagnosticTests
{
    private const string Head = "using DslConv;\nnamespace Models;\n[Input(8, 8, 2)]\n";
    private const string Tail = "\npublic partial class Net;";

    private static (Diagnostic Diagnostic, string Target) Single(string layers, string id, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        string source = Head + layers + Tail;
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.Diagnostics(source));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        return (diagnostic, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }

    [Theory]
    [InlineData("input", "the model's input")]
    [InlineData("2nd", "starting with a letter")]
    [InlineData("block-1", "letters, digits and underscores")]
    [InlineData("", "starting with a letter")]
    public void DSLC022_NameNotUsable(string name, string rule)
    {
        var d = Single($"[Conv2D(4, 3, 3, Name = \"{name}\")] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC022");
        Assert.StartsWith("Conv2D(4, 3, 3", d.Target);
        Assert.Contains(rule, d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC023_UnknownOrLaterNameListsTheKnownOnes()
    {
        var d = Single("[Conv2D(4, 3, 3, Padding = Padding.Same, Name = \"a\")] [Conv2D(4, 3, 3, Padding = Padding.Same)] [Add(\"b\")] " +
                       "[Conv2D(4, 1, 1, Name = \"b\")] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC023");
        Assert.Equal("Add(\"b\")", d.Target);
        Assert.Contains("reads \"b\"", d.Diagnostic.GetMessage());
        Assert.Contains("\"input\", \"a\", \"conv2d\"", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC023_FromPointsAtItself()
    {
        var d = Single("[Conv2D(4, 3, 3)] [From(\"stem\")] [Conv2D(4, 1, 1)] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC023");
        Assert.Equal("From(\"stem\")", d.Target);
    }

    [Fact]
    public void DSLC024_AddNamesBothShapesAndTheProjection()
    {
        var d = Single("[Conv2D(4, 3, 3, Name = \"a\")] [Conv2D(6, 3, 3)] [Add(\"a\")] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC024");
        Assert.Equal("Add(\"a\")", d.Target);
        string message = d.Diagnostic.GetMessage();
        Assert.Contains("(4, 4, 6)", message);
        Assert.Contains("(6, 6, 4)", message);
        Assert.Contains("1x1 Conv2D projection", message);
    }

    [Fact]
    public void DSLC024_ConcatenateNeedsEqualHeightAndWidth()
    {
        var d = Single("[Conv2D(4, 3, 3, Name = \"a\")] [Conv2D(6, 3, 3)] [Concatenate(\"a\", Name = \"joined\")] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC024");
        Assert.Contains("\"joined\"", d.Diagnostic.GetMessage());
        Assert.Contains("equal height and width", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC025_FromWithNoLayerAfterIt()
    {
        var d = Single("[Conv2D(4, 3, 3, Name = \"a\")] [Flatten] [Dense(2, Activation.Softmax)] [From(\"a\")]", "DSLC025");
        Assert.Equal("From(\"a\")", d.Target);
    }

    [Fact]
    public void DSLC026_TwoLayersWithOneName()
    {
        var d = Single("[Conv2D(4, 3, 3, Name = \"a\")] [Conv2D(4, 3, 3, Name = \"a\")] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC026");
        Assert.Contains("[Conv2D] #1", d.Diagnostic.GetMessage());
        Assert.StartsWith("Conv2D(4, 3, 3, Name = \"a\")", d.Target);
    }

    [Fact]
    public void DSLC026_NamesThatBecomeOneIdentifier()
    {
        var d = Single("[Conv2D(4, 3, 3, Name = \"block_a\")] [Conv2D(4, 3, 3, Name = \"blockA\")] [Flatten] [Dense(2, Activation.Softmax)]", "DSLC026");
        Assert.Contains("'BlockA'", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC027_AnOutputNobodyReadsIsAWarningAndTheModelIsStillGenerated()
    {
        string source = Head + "[Conv2D(4, 3, 3, Name = \"a\")] [Conv2D(4, 3, 3, Name = \"dead\")] [From(\"a\")] [Flatten] [Dense(2, Activation.Softmax)]" + Tail;
        var d = Single("[Conv2D(4, 3, 3, Name = \"a\")] [Conv2D(4, 3, 3, Name = \"dead\")] [From(\"a\")] [Flatten] [Dense(2, Activation.Softmax)]",
            "DSLC027", DiagnosticSeverity.Warning);
        Assert.StartsWith("Conv2D(4, 3, 3, Name = \"dead\")", d.Target);
        var (result, output) = GeneratorHarness.Run(source);
        Assert.Contains(result.GeneratedTrees, tree => tree.ToString().Contains("partial class Net"));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
    }

    [Fact]
    public void AutomaticNamesSkipGivenOnes()
    {
        string source = Head + "[Conv2D(4, 3, 3, Name = \"conv2d_1\")] [Conv2D(4, 3, 3)] [Conv2D(4, 3, 3)] [Flatten] [Dense(2, Activation.Softmax)]" + Tail;
        Assert.Empty(GeneratorHarness.Diagnostics(source));
        string generated = string.Concat(GeneratorHarness.Run(source).Result.GeneratedTrees.Select(tree => tree.ToString()));
        Assert.Contains("new(\"conv2d\", ", generated);
        Assert.Contains("new(\"conv2d_2\", ", generated);
    }

    [Fact]
    public void DSLC028_BlockClassNotMarked()
    {
        string source = "using DslConv;\nnamespace Models;\npublic static class Plain;\n[Input(8, 8, 2)] [Block(typeof(Plain))] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.Diagnostics(source));
        Assert.Equal("DSLC028", diagnostic.Id);
        Assert.Contains("[LayerBlock]", diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC028_BlockThatUsesItself()
    {
        string source = "using DslConv;\nnamespace Models;\n[LayerBlock] [Conv2D(2, 1, 1)] [Block(typeof(Loop))] public static class Loop;\n" +
                        "[Input(8, 8, 2)] [Block(typeof(Loop))] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.Diagnostics(source));
        Assert.Equal("DSLC028", diagnostic.Id);
        Assert.Contains("more than 8 deep", diagnostic.GetMessage());
    }

    [Fact]
    public void AnErrorInsideABlockPointsAtTheBlocksAttribute()
    {
        string source = "using DslConv;\nnamespace Models;\n[LayerBlock] [Conv2D(Block.Filters, 3, 3)] public static class B;\n" +
                        "[Input(8, 8, 2)] [Block(typeof(B))] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.Diagnostics(source));
        Assert.Equal("DSLC004", diagnostic.Id); // Filters left out: 0
        Assert.StartsWith("Conv2D(Block.Filters", source.Substring(diagnostic.Location.SourceSpan.Start));
    }

    [Fact]
    public void ProjectionNeedsAWholeStride()
    {
        var d = Single("[Conv2D(4, 3, 3, Name = \"a\")] [Flatten] [Dense(6)] [Add(\"a\", Shortcut = Shortcut.Projection)] [Dense(2, Activation.Softmax)]", "DSLC024");
        Assert.Contains("no 1x1 projection", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void ABlockModelCompilesWithoutWarnings()
    {
        string source = "using DslConv;\nnamespace Models;\n" +
                        "[LayerBlock] [Conv2D(Block.Filters, 3, 3, Stride = Block.Stride, Padding = Padding.Same, Name = \"conv\")] [Add(Block.Input, Shortcut = Shortcut.Projection, Name = \"add\")] public static class B;\n" +
                        "[Input(8, 8, 2)] [Block(typeof(B), Filters = 4, Stride = 2, Repeat = 3)] [GlobalAvgPool] [Dense(2, Activation.Softmax)] public partial class Net;";
        var (result, output) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        string generated = string.Concat(result.GeneratedTrees.Select(tree => tree.ToString()));
        Assert.Contains("\"b1_add_projection\"", generated); // Keras's style for a use without a Name: the class's, then the copy
        Assert.Contains("\"b3_add\"", generated);
    }
}
