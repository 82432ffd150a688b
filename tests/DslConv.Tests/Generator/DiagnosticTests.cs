using Microsoft.CodeAnalysis;

namespace DslConv.Tests.Generator;

/// <summary>One test per diagnostic: its ID, that it points at the offending attribute, and what the message names.</summary>
public sealed class DiagnosticTests
{
    private static (Diagnostic Diagnostic, string Target) Single(string source, string id)
    {
        var diagnostics = GeneratorHarness.Diagnostics(source);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Model0.cs", diagnostic.Location.GetLineSpan().Path);
        return (diagnostic, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }

    private const string Head = "using DslConv;\nnamespace Models;\n";

    [Fact]
    public void DSLC001_ClassNotPartial()
    {
        var d = Single(Head + "[Input(8, 8, 1)] [Flatten] [Dense(2, Activation.Softmax)] public class Net { }", "DSLC001");
        Assert.Equal("Net", d.Target);
        Assert.Contains("partial", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC002_NoInput()
    {
        var d = Single(Head + "[Flatten] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC002");
        Assert.Equal("Net", d.Target);
        Assert.Contains("[Input(height, width, channels)]", d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Input(0, 8, 1)]")]
    [InlineData("[Input(8, -1, 1)]")]
    [InlineData("[Input(8, 8, 0)]")]
    public void DSLC003_BadInput(string input)
    {
        var d = Single(Head + input + " [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC003");
        Assert.Equal(input.Trim('[', ']'), d.Target);
    }

    [Theory]
    [InlineData("Conv2D(0, 3, 3)", "filters = 0")]
    [InlineData("Conv2D(4, -3, 3)", "kernelHeight = -3")]
    [InlineData("Conv2D(4, 3, 0)", "kernelWidth = 0")]
    [InlineData("Conv2D(4, 3, 3, Stride = 0)", "Stride = 0")]
    [InlineData("MaxPool(0)", "size = 0")]
    [InlineData("MaxPool(2, Stride = -1)", "Stride = -1")]
    [InlineData("AvgPool(0)", "size = 0")]
    [InlineData("DepthwiseConv2D(0, 3)", "kernelHeight = 0")]
    [InlineData("DepthwiseConv2D(3, 3, DepthMultiplier = 0)", "DepthMultiplier = 0")]
    [InlineData("Conv2D(4, 3, 3, StrideY = -1)", "StrideY = -1")]
    [InlineData("MaxPool(2, StrideX = -3)", "StrideX = -3")]
    [InlineData("AvgPool(2, StrideY = 2, StrideX = -1)", "StrideX = -1")]
    [InlineData("AvgPool(2, Stride = -2, Padding = Padding.Same)", "Stride = -2")]
    public void DSLC004_NonPositiveArgument(string layer, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] [{layer}] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC004");
        Assert.Equal(layer, d.Target);
        Assert.Contains(named, d.Diagnostic.GetMessage());
        Assert.Contains("#1", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC004_NonPositiveUnits()
    {
        var d = Single(Head + "[Input(8, 8, 1)] [Flatten] [Dense(0)] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC004");
        Assert.Equal("Dense(0)", d.Target);
        Assert.Contains("units = 0", d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Conv2D(4, 9, 3)]", "Conv2D(4, 9, 3)", "(0, 6, 4)")]
    [InlineData("[MaxPool(2)] [MaxPool(2)] [MaxPool(3)]", "MaxPool(3)", "(0, 0, 1)")]
    [InlineData("[AvgPool(3)] [AvgPool(3)]", "AvgPool(3)", "(0, 0, 1)")]
    public void DSLC005_WindowLargerThanInput(string layers, string offending, string output)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] {layers} [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC005");
        Assert.Equal(offending, d.Target);
        Assert.Contains(output, d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC005_MessageNamesInputShape()
    {
        var d = Single(Head + "[Input(28, 28, 1)] [Conv2D(8, 3, 3)] [MaxPool(2)] [Conv2D(8, 3, 3)] [MaxPool(2)] [Conv2D(8, 3, 3)] [MaxPool(2)] [Conv2D(8, 3, 3)] [Flatten] [Dense(2)] public partial class Net;", "DSLC005");
        Assert.Contains("[Conv2D] #7", d.Diagnostic.GetMessage());
        Assert.Contains("(1, 1, 8)", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC006_DenseWithoutFlatten()
    {
        var d = Single(Head + "[Input(8, 8, 1)] [Conv2D(4, 3, 3)] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC006");
        Assert.Equal("Dense(2, Activation.Softmax)", d.Target);
        Assert.Contains("(6, 6, 4)", d.Diagnostic.GetMessage());
        Assert.Contains("[Flatten]", d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("Conv2D(4, 3, 3)")]
    [InlineData("MaxPool(2)")]
    [InlineData("AvgPool(2)")]
    [InlineData("GlobalAvgPool")]
    [InlineData("GlobalMaxPool")]
    [InlineData("DepthwiseConv2D(3, 3)")]
    [InlineData("ZeroPadding2D(1)")]
    public void DSLC007_SpatialLayerAfterFlatten(string layer)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] [Flatten] [{layer}] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC007");
        Assert.Equal(layer, d.Target);
        Assert.Contains("(64)", d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Input(8, 8, 1)] [Flatten] [Dense(16, Activation.Softmax)] [Dense(2)]", "Dense(16, Activation.Softmax)")]
    [InlineData("[Input(8, 8, 1)] [Conv2D(4, 3, 3, Activation.Softmax)] [Flatten] [Dense(2)]", "Conv2D(4, 3, 3, Activation.Softmax)")]
    public void DSLC008_SoftmaxNotLast(string layers, string offending)
    {
        var d = Single(Head + layers + " public partial class Net;", "DSLC008");
        Assert.Equal(offending, d.Target);
    }

    [Fact]
    public void DSLC009_NoLayers()
    {
        var d = Single(Head + "[Input(8, 8, 1)] public partial class Net;", "DSLC009");
        Assert.Equal("Input(8, 8, 1)", d.Target);
    }

    [Theory]
    [InlineData("[Conv2D(4, 3, 3)]", "Conv2D(4, 3, 3)", "(6, 6, 4)")]
    [InlineData("[Conv2D(4, 3, 3)] [Flatten]", "Flatten", "(144)")]
    [InlineData("[MaxPool(2)]", "MaxPool(2)", "(4, 4, 1)")]
    public void DSLC010_LastLayerNotDense(string layers, string offending, string shape)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] {layers} public partial class Net;", "DSLC010");
        Assert.Equal(offending, d.Target);
        Assert.Contains(shape, d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC011_LayersSpreadOverPartialDeclarations()
    {
        var d = Single(Head + """
            [Input(8, 8, 1)] [Flatten] public partial class Net;
            [Dense(2, Activation.Softmax)] public partial class Net;
            """, "DSLC011");
        Assert.Equal("Dense(2, Activation.Softmax)", d.Target);
    }

    [Fact]
    public void DSLC011_AcrossFiles()
    {
        var diagnostics = GeneratorHarness.Diagnostics(
            Head + "[Input(8, 8, 1)] [Flatten] public partial class Net;",
            Head + "[Dense(2, Activation.Softmax)] public partial class Net;");
        Assert.Equal("DSLC011", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void PartialDeclarationsWithoutAttributesAreFine()
    {
        var (result, output) = GeneratorHarness.Run(Head + """
            [Input(8, 8, 1)] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;
            public partial class Net { public int Extra => 1; }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
    }

    [Theory]
    [InlineData("[Dense(2, (Activation)42)]", "activation = 42")]
    [InlineData("[Conv2D(2, 3, 3, Padding = (Padding)7)] [Flatten] [Dense(2)]", "Padding = 7")]
    [InlineData("[Conv2D(2, 3, 3)] [AvgPool(2, Padding = (Padding)3)] [Flatten] [Dense(2)]", "Padding = 3")]
    [InlineData("[Conv2D(2, 3, 3)] [MaxPool(2, Padding = (Padding)9)] [Flatten] [Dense(2)]", "Padding = 9")]
    public void DSLC012_UnknownEnumValue(string layers, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] [Flatten] {layers} public partial class Net;".Replace("[Flatten] [Conv2D", "[Conv2D"), "DSLC012");
        Assert.Contains(named, d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC012_AnUnknownActivationListsEveryDefinedOne()
    {
        var d = Single(Head + "[Input(8, 8, 1)] [Flatten] [Dense(2, (Activation)42)] public partial class Net;", "DSLC012");
        Assert.Contains("Activation.None, Relu, Sigmoid, Tanh, Softmax, LeakyRelu, Elu, Gelu, Swish, Relu6", d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Conv2D(2, 3, 3)] [RandomFlip]", "a layer with parameters")]
    [InlineData("[Rescaling(1 / 255.0)] [Dense(4)] [RandomRotation(0.1)]", "a layer with parameters")]
    public void DSLC020_AugmentationAfterParameters(string layers, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] {layers} [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;".Replace("[Dense(4)]", "[Conv2D(4, 1, 1)]"), "DSLC020");
        Assert.Contains(named, d.Diagnostic.GetMessage());
        Assert.StartsWith("Random", d.Target);
    }

    [Theory]
    [InlineData("RandomRotation(1.5)", "factor = 1.5")]
    [InlineData("RandomZoom(1.0)", "heightFactor = 1")]
    [InlineData("RandomZoom(0.1, WidthFactor = -0.5)", "WidthFactor = -0.5")]
    [InlineData("RandomTranslation(0.1, 1.5)", "widthFactor = 1.5")]
    [InlineData("RandomContrast(2)", "factor = 2")]
    public void DSLC019_AugmentationArguments(string layer, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] [{layer}] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC019");
        Assert.Contains(named, d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Conv2D(2, 3, 3, KernelL2 = -0.01)] [Flatten] [Dense(2)]", "KernelL2 = -0.01")]
    [InlineData("[Flatten] [Dense(2, KernelL1 = double.NaN)]", "KernelL1 = NaN")]
    public void DSLC019_KernelRegularizer(string layers, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] {layers} public partial class Net;", "DSLC019");
        Assert.Contains(named, d.Diagnostic.GetMessage());
        Assert.Contains("at least 0", d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Loss(Loss.BinaryCrossentropy)] [Input(8, 8, 1)] [Flatten] [Dense(2, Activation.Softmax)]", "BinaryCrossentropy", "Dense(tags, Activation.Sigmoid)")]
    [InlineData("[Loss(Loss.MeanSquaredError)] [Input(8, 8, 1)] [Flatten] [Dense(3, Activation.Softmax)]", "MeanSquaredError", "[Dense(outputs)]")]
    [InlineData("[Loss(Loss.Huber)] [Input(8, 8, 1)] [Flatten] [Dense(3, Activation.Softmax)]", "Huber", "softmax")]
    [InlineData("[Loss(Loss.BinaryCrossentropy)] [Input(8, 8, 1)] [Flatten] [Dense(1, Activation.Relu)]", "BinaryCrossentropy", "relu")]
    [InlineData("[Input(8, 8, 1)] [Flatten] [Dense(1, Activation.Sigmoid)]", "SparseCategoricalCrossentropy", "Loss.BinaryCrossentropy")]
    [InlineData("[Loss(Loss.CategoricalCrossentropy)] [Input(8, 8, 1)] [Flatten] [Dense(3, Activation.Sigmoid)]", "CategoricalCrossentropy", "Activation.Softmax")]
    public void DSLC021_LossDoesNotFitTheHead(string model, string loss, string named)
    {
        var d = Single(Head + model + " public partial class Net;", "DSLC021");
        Assert.Contains(loss, d.Diagnostic.GetMessage());
        Assert.Contains(named, d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("[Loss(Loss.SparseCategoricalCrossentropy, LabelSmoothing = 0.1)]", "0 unless the loss is Loss.CategoricalCrossentropy or Loss.BinaryCrossentropy")]
    [InlineData("[Loss(Loss.MeanSquaredError, LabelSmoothing = 0.1)]", "LabelSmoothing = 0.1")]
    [InlineData("[Loss(Loss.CategoricalCrossentropy, LabelSmoothing = 1.0)]", "in [0, 1)")]
    [InlineData("[Loss(Loss.BinaryCrossentropy, LabelSmoothing = -0.1)]", "in [0, 1)")]
    [InlineData("[Loss(Loss.Huber, Delta = 0)]", "a finite number above 0")]
    [InlineData("[Loss(Loss.Huber, Delta = double.PositiveInfinity)]", "Delta = Infinity")]
    [InlineData("[Loss(Loss.MeanSquaredError, Delta = 2)]", "left out unless the loss is Loss.Huber")]
    public void DSLC019_LossArguments(string loss, string rule)
    {
        var d = Single(Head + $"{loss} [Input(8, 8, 1)] [Flatten] [Dense(3, Activation.Sigmoid)] public partial class Net;", "DSLC019");
        Assert.Contains(rule, d.Diagnostic.GetMessage());
        Assert.StartsWith("Loss(", d.Target);
    }

    [Fact]
    public void AnUnknownLossListsTheLossesThereAre()
    {
        var d = Single(Head + "[Loss((Loss)9)] [Input(8, 8, 1)] [Flatten] [Dense(3)] public partial class Net;", "DSLC012");
        Assert.Contains("Loss.MeanAbsoluteError, Loss.Huber", d.Diagnostic.GetMessage());
    }

    /// <summary>Every head each loss takes compiles without a diagnostic: multi-label, soft labels and regression included.</summary>
    [Theory]
    [InlineData("[Loss(Loss.BinaryCrossentropy, LabelSmoothing = 0.1)]", "[Dense(5, Activation.Sigmoid)]")]
    [InlineData("[Loss(Loss.BinaryCrossentropy)]", "[Dense(3)]")]
    [InlineData("[Loss(Loss.CategoricalCrossentropy)]", "[Dense(4)]")]
    [InlineData("[Loss(Loss.MeanSquaredError)]", "[Dense(1)]")]
    [InlineData("[Loss(Loss.MeanAbsoluteError)]", "[Dense(2, Activation.Tanh)]")]
    [InlineData("[Loss(Loss.Huber, Delta = 0.25)]", "[Dense(3, Activation.Relu)]")]
    public void EveryLossCompilesWithTheHeadsItTakes(string loss, string head)
    {
        var (result, output) = GeneratorHarness.Run(Head + $"{loss} [Input(8, 8, 1)] [Flatten] {head} public partial class Net;");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
    }

    [Fact]
    public void AugmentationNeedsAnImageAndAKnownFlipMode()
    {
        Assert.Contains("(Flip)7", Single(Head + "[Input(8, 8, 1)] [RandomFlip((Flip)7)] [Flatten] [Dense(2)] public partial class Net;", "DSLC012").Target);
        Single(Head + "[Input(8, 8, 1)] [Flatten] [RandomFlip] [Dense(2)] public partial class Net;", "DSLC007");
    }

    [Theory]
    [InlineData("Dropout(1.0)", "rate = 1")]
    [InlineData("Dropout(-0.25)", "rate = -0.25")]
    [InlineData("Dropout(double.NaN)", "rate = NaN")]
    [InlineData("BatchNorm(Momentum = 1.5)", "Momentum = 1.5")]
    [InlineData("BatchNorm(Epsilon = 0)", "Epsilon = 0")]
    [InlineData("Rescaling(double.NaN)", "scale = NaN")]
    [InlineData("Rescaling(1e300)", "scale = 1E+300")]
    [InlineData("Rescaling(1 / 255.0, Offset = double.NegativeInfinity)", "Offset = -Infinity")]
    public void DSLC019_ArgumentOutOfRange(string layer, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] [Flatten] [{layer}] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC019");
        Assert.Equal(layer, d.Target);
        Assert.Contains(named, d.Diagnostic.GetMessage());
        Assert.Contains(layer.StartsWith("Dropout") ? "[0, 1)" : layer.Contains("Momentum") ? "[0, 1]" : layer.StartsWith("Rescaling") ? "finite" : "positive",
            d.Diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("ZeroPadding2D(-1)", "top = -1")]
    [InlineData("ZeroPadding2D(1, -2)", "left = -2")]
    [InlineData("ZeroPadding2D(0, 0, 0, -3)", "right = -3")]
    public void DSLC019_NegativeZeroPadding(string layer, string named)
    {
        var d = Single(Head + $"[Input(8, 8, 1)] [{layer}] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;", "DSLC019");
        Assert.Equal(layer, d.Target);
        Assert.Contains(named, d.Diagnostic.GetMessage());
        Assert.Contains(">= 0", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC013_PaddingPastTheLimit() =>
        Assert.Equal("ZeroPadding2D(int.MaxValue / 2, 0, 0, 0)",
            Single(Head + "[Input(8, 8, 1)] [ZeroPadding2D(int.MaxValue / 2, 0, 0, 0)] [Flatten] [Dense(2)] public partial class Net;", "DSLC013").Target);

    [Fact]
    public void DSLC013_ModelTooLarge()
    {
        var d = Single(Head + "[Input(4096, 4096, 3)] [Flatten] [Dense(1000)] public partial class Net;", "DSLC013");
        Assert.Equal("Dense(1000)", d.Target);
    }

    [Theory]
    [InlineData("public static partial class Net;", "static")]
    [InlineData("public partial class Net<T>;", "generic")]
    public void DSLC014_UnsupportedClass(string declaration, string what)
    {
        var d = Single(Head + "[Input(8, 8, 1)] [Flatten] [Dense(2)] " + declaration, "DSLC014");
        Assert.Contains(what, d.Diagnostic.GetMessage());
    }

    [Fact]
    public void DSLC014_NestedClass()
    {
        var d = Single(Head + "public partial class Outer { [Input(8, 8, 1)] [Flatten] [Dense(2)] public partial class Net; }", "DSLC014");
        Assert.Contains("nested", d.Diagnostic.GetMessage());
    }

    [Fact]
    public void ValidModelHasNoDiagnosticsAndCompiles()
    {
        var (result, output) = GeneratorHarness.Run(Head + "[Input(8, 8, 1)] [Conv2D(4, 3, 3, Activation.Relu)] [MaxPool(2)] [Flatten] [Dense(2, Activation.Softmax)] public partial class Net;");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
    }

    /// <summary>
    /// The generator never throws on user code, however incomplete: every prefix of a model's source (as it is
    /// being typed) runs without a generator exception.
    /// </summary>
    [Fact]
    public void NeverThrowsOnIncompleteCode()
    {
        string source = Head + """
            [Input(28, 28, 1)]
            [Conv2D(64, 3, 3, Activation.Relu, Stride = 2, Padding = Padding.Same)]
            [MaxPool(2, Stride = 1)]
            [Flatten]
            [Dense(10, Activation.Softmax)]
            public partial class Net;
            """;
        for (int length = 0; length <= source.Length; length++)
        {
            var (result, _) = GeneratorHarness.Run(source.Substring(0, length));
            Assert.All(result.Results, r => Assert.Null(r.Exception));
        }
    }

    [Theory]
    [InlineData("[Input(28, 28)] [Flatten] [Dense(2)] public partial class Net;")]
    [InlineData("[Input(28, 28, \"x\")] [Flatten] [Dense(2)] public partial class Net;")]
    [InlineData("[Input(28, 28, 1)] [Conv2D(Stride = 2)] [Flatten] [Dense(2)] public partial class Net;")]
    [InlineData("[Input(28, 28, 1)] [Dense(units: 2, activation: Activation.Nope)] public partial class Net;")]
    [InlineData("[Input(28, 28, 1)] [Flatten] [Dense(2)] public partial struct Net;")]
    [InlineData("[Input(28, 28, 1), Input(2, 2, 2)] [Flatten] [Dense(2)] public partial class Net;")]
    public void BrokenArgumentsLeaveTheCompilerErrorAlone(string declaration)
    {
        var (result, _) = GeneratorHarness.Run(Head + declaration);
        Assert.All(result.Results, r => Assert.Null(r.Exception));
    }
}
