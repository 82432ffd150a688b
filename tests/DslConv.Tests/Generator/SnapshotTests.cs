using Microsoft.CodeAnalysis;

namespace DslConv.Tests.Generator;

/// <summary>The generated source of representative models, reviewed like any other diff.</summary>
public sealed class SnapshotTests
{
    public static TheoryData<string, string> Models => new()
    {
        {
            "LessonCnn", """
            using DslConv;
            namespace Lesson;
            [Input(28, 28, 1)]
            [Conv2D(64, 3, 3, Activation.Relu)]
            [MaxPool(2)]
            [Conv2D(64, 3, 3, Activation.Relu)]
            [MaxPool(2)]
            [Flatten]
            [Dense(128, Activation.Relu)]
            [Dense(10, Activation.Softmax)]
            public partial class FashionCnn;
            """
        },
        {
            "AvgPool", """
            using DslConv;
            namespace Models;
            [Input(9, 7, 2)]
            [Conv2D(4, 3, 3, Activation.Relu, Padding = Padding.Same)]
            [AvgPool(2)]
            [Conv2D(3, 2, 2, Activation.Tanh)]
            [AvgPool(3, Stride = 2, Padding = Padding.Same)]
            [Flatten]
            [Dense(3, Activation.Softmax)]
            public partial class PooledNet;
            """
        },
        {
            "GlobalPools", """
            using DslConv;
            namespace Models;
            [Input(8, 7, 2)]
            [Conv2D(6, 3, 3, Activation.Relu, Padding = Padding.Same)]
            [GlobalMaxPool]
            [Dense(4, Activation.Relu)]
            [Dense(3)]
            public partial class GlobalMaxHead;
            """
        },
        {
            "MobileNetBlock", """
            using DslConv;
            namespace Models;
            [Input(10, 9, 2)]
            [Conv2D(4, 3, 3, Padding = Padding.Same)]
            [BatchNorm]
            [Activation(Activation.Relu)]
            [DepthwiseConv2D(3, 3, DepthMultiplier = 2, Stride = 2, Padding = Padding.Same)]
            [BatchNorm]
            [Activation(Activation.Relu)]
            [Conv2D(6, 1, 1, Activation.Relu)]
            [GlobalAvgPool]
            [Dense(3, Activation.Softmax)]
            public partial class MobileBlock;
            """
        },
        {
            "ResidualGraph", """
            using DslConv;
            namespace Models;
            [Input(8, 8, 1)]
            [Conv2D(16, 3, 3, Padding = Padding.Same, Name = "stem")]
            [BatchNorm(Name = "stem_bn")]
            [Activation(Activation.Relu, Name = "stem_relu")]
            [Conv2D(16, 3, 3, Padding = Padding.Same, Name = "conv")]
            [BatchNorm(Name = "bn")]
            [Add("stem_relu", Name = "add")]
            [Activation(Activation.Relu, Name = "out")]
            [Conv2D(32, 1, 1, Stride = 2, Name = "narrow")]
            [From("out")] [MaxPool(2, Name = "pooled")]
            [Concatenate("narrow", Name = "joined")]
            [From("pooled")] [Conv2D(48, 1, 1, Activation.Relu, Name = "side")]
            [Add("joined", "joined", Name = "sum3")]
            [GlobalAvgPool]
            [Dense(3, Activation.Softmax)]
            public partial class ResidualGraph;
            """
        },
        {
            "Rescaling", """
            using DslConv;
            namespace Models;
            [Input(8, 8, 1)]
            [Rescaling(1 / 255.0)]
            [Conv2D(4, 3, 3, Activation.Relu)]
            [MaxPool(2)]
            [Rescaling(2, Offset = -1)]
            [Flatten]
            [Dense(3, Activation.Softmax)]
            public partial class RawPixels;
            """
        },
        {
            "Augmentation", """
            using DslConv;
            namespace Models;
            [Input(10, 10, 3)]
            [Rescaling(1 / 255.0)]
            [RandomFlip(Flip.Horizontal)]
            [RandomRotation(0.1)]
            [RandomZoom(0.1)]
            [RandomTranslation(0.1, 0.1)]
            [RandomContrast(0.2)]
            [Conv2D(4, 3, 3, Activation.Relu)]
            [MaxPool(2)]
            [Flatten]
            [Dense(3, Activation.Softmax)]
            public partial class Augmented;
            """
        },
        {
            "BinaryHead", """
            using DslConv;
            namespace Models;
            [Input(12, 12, 3)]
            [Conv2D(4, 3, 3, Activation.Relu)]
            [MaxPool(2)]
            [Flatten]
            [Dense(1, Activation.Sigmoid)]
            [Loss(Loss.BinaryCrossentropy)]
            public partial class CatOrDog;
            """
        },
        {
            "MultiLabel", """
            using DslConv;
            namespace Models;
            [Input(12, 12, 3)]
            [Conv2D(4, 3, 3, Activation.Relu)]
            [GlobalAvgPool]
            [Dense(5, Activation.Sigmoid)]
            [Loss(Loss.BinaryCrossentropy)]
            public partial class PhotoTags;
            """
        },
        {
            "Regression", """
            using DslConv;
            namespace Models;
            [Input(10, 10, 1)]
            [Conv2D(4, 3, 3, Activation.Relu)]
            [Flatten]
            [Dense(2)]
            [Loss(Loss.Huber, Delta = 0.5)]
            public partial class Keypoints;
            """
        },
        {
            "Dropout", """
            using DslConv;
            namespace Models;
            [Input(12, 12, 1)]
            [Conv2D(8, 3, 3, Activation.Relu)]
            [MaxPool(2)]
            [Dropout(0.25)]
            [Flatten]
            [Dense(16, Activation.Relu)]
            [Dropout(0.5)]
            [Dense(4, Activation.Softmax)]
            public partial class RegularisedNet;
            """
        },
        {
            "BatchNorm", """
            using DslConv;
            namespace Models;
            [Input(12, 12, 1)]
            [Conv2D(16, 3, 3, Padding = Padding.Same)]
            [BatchNorm]
            [MaxPool(2)]
            [Flatten]
            [Dense(10, Activation.Softmax)]
            public partial class NormalisedNet;
            """
        },
        {
            "SamePaddingAndStrides", """
            using DslConv;
            namespace Models;
            [Input(15, 13, 3)]
            [Conv2D(8, 4, 4, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
            [MaxPool(3, Stride = 2)]
            [Conv2D(16, 3, 1, Activation.Sigmoid, Padding = Padding.Same)]
            [Flatten]
            [Dense(10, Activation.Softmax)]
            internal partial class StridedNet { }
            """
        },
        {
            "DenseOnly", """
            using DslConv;
            namespace Lesson;
            // The lesson's first, plain network: Flatten, Dense(128, relu), Dense(10, softmax).
            [Input(28, 28, 1)]
            [Flatten]
            [Dense(128, Activation.Relu)]
            [Dense(10, Activation.Softmax)]
            public partial class FashionDnn;
            """
        },
        {
            "LogitsHead", """
            using DslConv;
            [Input(12, 12, 2)]
            [Conv2D(6, 5, 5, Activation.Relu)]
            [MaxPool(2)]
            [Flatten]
            [Dense(32, Activation.Relu)]
            [Dense(4)]
            public partial class LogitsNet;
            """
        },
        {
            "ZeroPadding", """
            using DslConv;
            namespace Models;
            // ResNet's stem: zeros around the image, a strided valid convolution, padding only the bottom and right.
            [Input(12, 12, 1)]
            [ZeroPadding2D(3)]
            [Conv2D(8, 7, 7, Activation.Relu, Stride = 2)]
            [ZeroPadding2D(0, 1, 0, 1)]
            [MaxPool(3, Stride = 2)]
            [Flatten]
            [Dense(10, Activation.Softmax)]
            public partial class PaddedStem;
            """
        },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedSourceMatchesSnapshot(string name, string source)
    {
        var (result, output) = GeneratorHarness.Run(source);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        GeneratedSourceResult generated = Assert.Single(result.Results.Single().GeneratedSources);
        Snapshot.Verify(generated.SourceText.ToString(), $"SnapshotTests.{name}");
    }

    /// <summary>Models with an int8 form, whose Int8 class the DslConvInt8 property adds in a file of its own.</summary>
    public static TheoryData<string> Int8Models => new() { "LessonCnn", "BatchNorm", "GlobalPools", "ZeroPadding", "Augmentation", "ResidualGraph" };

    [Theory]
    [MemberData(nameof(Int8Models))]
    public void Int8PartIsAFileOfItsOwnOnlyWhenAskedFor(string name)
    {
        string source = (string)Models.Single(row => (string)row[0] == name)[1];
        var (plain, _) = GeneratorHarness.Run(source);
        var (result, output) = GeneratorHarness.Run(new Dictionary<string, string> { ["build_property.DslConvInt8"] = "true" }, source);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        Assert.Single(plain.Results.Single().GeneratedSources); // off by default
        var sources = result.Results.Single().GeneratedSources;
        Assert.Equal(2, sources.Length);
        GeneratedSourceResult int8 = Assert.Single(sources, generated => generated.HintName.EndsWith(".Int8.g.cs", StringComparison.Ordinal));
        GeneratedSourceResult model = Assert.Single(sources, generated => !generated.HintName.EndsWith(".Int8.g.cs", StringComparison.Ordinal));
        Assert.Equal(plain.Results.Single().GeneratedSources[0].SourceText.ToString(), model.SourceText.ToString()); // the float file is the same
        Snapshot.Verify(int8.SourceText.ToString(), $"SnapshotTests.{name}.Int8");
    }
}
