using DslConv.Kernels;

namespace DslConv.Tests.Numerics;

/// <summary>Keras's output-size rules, checked against values worked out by hand from the TensorFlow formulas.</summary>
public sealed class ConvGeometryTests
{
    [Theory]
    [InlineData(28, 3, 1, 26)]
    [InlineData(26, 2, 2, 13)]
    [InlineData(11, 2, 2, 5)]   // floor: the last row is dropped
    [InlineData(7, 3, 2, 3)]
    [InlineData(3, 3, 1, 1)]
    [InlineData(2, 3, 2, 0)]    // window larger than the input
    [InlineData(1, 5, 2, 0)]
    public void ValidOutput(int input, int window, int stride, int expected) =>
        Assert.Equal(expected, ConvGeometry.ValidOutput(input, window, stride));

    [Theory]
    [InlineData(28, 1, 28)]
    [InlineData(15, 2, 8)]
    [InlineData(7, 3, 3)]
    public void SameOutput(int input, int stride, int expected) =>
        Assert.Equal(expected, ConvGeometry.SameOutput(input, stride));

    [Theory]
    [InlineData(28, 3, 1, 1)]   // total 2: one each side
    [InlineData(28, 4, 1, 1)]   // total 3: one before, two after
    [InlineData(15, 4, 2, 1)]   // out 8: total (8-1)*2+4-15 = 3
    [InlineData(16, 3, 2, 0)]   // out 8: total 1: none before, one after
    [InlineData(5, 1, 1, 0)]
    public void SamePadBefore(int input, int window, int stride, int expected) =>
        Assert.Equal(expected, ConvGeometry.SamePadBefore(input, window, stride));
}
