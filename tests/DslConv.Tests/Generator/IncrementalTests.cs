using System.Collections;
using System.Reflection;
using DslConv.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DslConv.Tests.Generator;

/// <summary>
/// The pipeline is incremental: a rerun on an unchanged compilation (or after an edit elsewhere) is served from the
/// cache, and no step's output holds an ISymbol, SyntaxNode or Compilation (the Regex generator's tests do the same).
/// </summary>
public sealed class IncrementalTests
{
    private const string Model = """
        using DslConv;
        namespace Models;
        [Input(12, 12, 1)]
        [Conv2D(4, 3, 3, Activation.Relu)]
        [MaxPool(2)]
        [Flatten]
        [Dense(3, Activation.Softmax)]
        public partial class Net;
        """;

    private static readonly string[] TrackedSteps =
        [ModelGenerator.StepNames.Specs, ModelGenerator.StepNames.Validated, ModelGenerator.StepNames.Plans];

    [Fact]
    public void RerunOnUnchangedCompilationIsCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.Clone());

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (string step in TrackedSteps)
        {
            var outputs = result.TrackedSteps[step].SelectMany(run => run.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
        }
        Assert.All(result.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(run => run.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void EditingUnrelatedCodeKeepsTheModelCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model, "namespace Other; public class Helper { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        SyntaxTree other = compilation.SyntaxTrees.Last();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(other,
            CSharpSyntaxTree.ParseText("namespace Other; public class Helper { public int X; }", GeneratorHarness.ParseOptions, other.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var plans = result.TrackedSteps[ModelGenerator.StepNames.Plans].SelectMany(run => run.Outputs).ToList();
        Assert.All(plans, output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"plan step ran: {output.Reason}"));
    }

    /// <summary>
    /// Typing above the model (a blank line, a comment) or editing another class in the same file moves every location
    /// the plan holds, but the emit step sees the plan without them: it is served from the cache, not run again.
    /// </summary>
    [Theory]
    [InlineData("\n")]
    [InlineData("// a comment typed above the model\n")]
    [InlineData("public class Helper { public int X; }\n")]
    public void TypingAboveTheModelDoesNotRerunTheEmitStep(string typed)
    {
        string source = Model.Replace("[Input(12, 12, 1)]", "public class Helper { }\n[Input(12, 12, 1)]");
        CSharpCompilation compilation = GeneratorHarness.Compile(source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        string before = driver.GetRunResult().GeneratedTrees.Single().ToString();
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        string edited = typed.StartsWith("public class Helper", StringComparison.Ordinal)
            ? source.Replace("public class Helper { }\n", typed)
            : source.Replace("namespace Models;\n", "namespace Models;\n" + typed);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, tree.FilePath)));

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var emitted = result.TrackedSteps[ModelGenerator.StepNames.Sources].SelectMany(run => run.Outputs).ToList();
        Assert.NotEmpty(emitted);
        Assert.All(emitted, output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"the emit step ran again: {output.Reason}"));
        Assert.Equal(before, result.GeneratedSources.Single().SourceText.ToString());
    }

    /// <summary>A diagnostic of the emit step (a member name the model would also generate) follows its member when lines move.</summary>
    [Fact]
    public void EmitDiagnosticsFollowTheirMemberWhenLinesMove()
    {
        string source = Model.Replace("public partial class Net;", "public partial class Net { public int Predict; }");
        CSharpCompilation compilation = GeneratorHarness.Compile(source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        Diagnostic first = Assert.Single(driver.GetRunResult().Diagnostics);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(source.Replace("namespace Models;\n", "namespace Models;\n\n\n"), GeneratorHarness.ParseOptions, tree.FilePath)));
        Diagnostic moved = Assert.Single(driver.GetRunResult().Diagnostics);
        Assert.Equal("DSLC017", moved.Id);
        Assert.Equal(first.Location.GetLineSpan().StartLinePosition.Line + 2, moved.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains("Predict", moved.GetMessage());
    }

    [Fact]
    public void ChangingALayerRegeneratesTheModel()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Model);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Model.Replace("[Dense(3,", "[Dense(5,"), GeneratorHarness.ParseOptions, tree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var plans = result.TrackedSteps[ModelGenerator.StepNames.Plans].SelectMany(run => run.Outputs).ToList();
        Assert.Contains(plans, output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("OutputSize = 5", result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void PipelineModelsHoldNoSymbolsNodesOrCompilations()
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(GeneratorHarness.Compile(Model));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (string step in TrackedSteps)
            foreach (var run in result.TrackedSteps[step])
                foreach (var (value, _) in run.Outputs)
                    AssertHoldsNoRoslynObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void AssertHoldsNoRoslynObjects(object? value, string path, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        Assert.False(value is ISymbol, $"{path} holds an ISymbol");
        Assert.False(value is SyntaxNode, $"{path} holds a SyntaxNode");
        Assert.False(value is Compilation, $"{path} holds a Compilation");
        Assert.False(value is SemanticModel, $"{path} holds a SemanticModel");
        Assert.False(value is SyntaxTree, $"{path} holds a SyntaxTree");
        Assert.False(value is Location, $"{path} holds a Location (keep a file path and span)");
        if (!value.GetType().IsValueType && !visited.Add(value)) return;
        if (value is DiagnosticDescriptor) return; // a plain description, no tree behind it

        if (value is IEnumerable items)
        {
            int index = 0;
            foreach (object? item in items) AssertHoldsNoRoslynObjects(item, $"{path}[{index++}]", visited);
            if (value.GetType().Namespace?.StartsWith("DslConv", StringComparison.Ordinal) != true) return;
        }
        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (field.FieldType.IsPointer) continue;
            AssertHoldsNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", visited);
        }
    }
}
