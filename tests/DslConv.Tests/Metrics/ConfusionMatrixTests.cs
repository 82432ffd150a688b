using DslConv.Data;
using DslConv.Metrics;
using DslConv.Tests.Models;

namespace DslConv.Tests.Metrics;

/// <summary>Confusion matrix and single-image predictions against counts made by hand from Predict's outputs.</summary>
public sealed class ConfusionMatrixTests
{
    [Fact]
    public void CountsMatchPredictionsMadeOneByOne()
    {
        var random = new Random(3);
        var data = new LabeledImages(Enumerable.Range(0, 50 * 36).Select(_ => (float)random.NextDouble()).ToArray(),
            Enumerable.Range(0, 50).Select(i => i % 4).ToArray(), 6, 6, 1);
        var model = new TinyNet(2);
        string[] names = ["north-west", "north-east", "south-west", "south-east"];
        var matrix = ConfusionMatrix.Compute(model, data, names, batch: 7);
        var expected = new int[4, 4];
        float[] outputs = new float[4];
        for (int i = 0; i < data.Count; i++)
        {
            model.Predict(data.Image(i), outputs);
            int best = Array.IndexOf(outputs, outputs.Max());
            expected[data.Labels[i], best]++;
            var prediction = Prediction.Of(model, data.Image(i), names);
            Assert.Equal(best, prediction.Class);
            Assert.Equal(names[best], prediction.Name);
            Assert.Equal(outputs[best], prediction.Probability);
        }
        for (int a = 0; a < 4; a++)
            for (int p = 0; p < 4; p++)
                Assert.Equal(expected[a, p], matrix[a, p]);
        Assert.Equal(50, matrix.Total);
        Assert.Equal(Enumerable.Range(0, 4).Sum(c => expected[c, c]) / 50.0, matrix.Accuracy);
    }

    [Fact]
    public void TextTableHasRowsColumnsRecallAndPrecision()
    {
        var matrix = new ConfusionMatrix(["cat", "dog"]);
        for (int i = 0; i < 8; i++) matrix.Add(0, 0);
        for (int i = 0; i < 2; i++) matrix.Add(0, 1);
        for (int i = 0; i < 5; i++) matrix.Add(1, 1);
        string text = matrix.ToText();
        string[] lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("true \\ predicted    cat    dog  recall", lines[0]);
        Assert.Equal("cat                   8      2   80.0%", lines[1]);
        Assert.Equal("dog                   0      5  100.0%", lines[2]);
        Assert.Equal("precision        100.0%  71.4%", lines[3]);
        Assert.Equal("accuracy 86.7% (13 of 15)", lines[4]);
        Assert.Equal(0.8, matrix.Recall(0));
        Assert.Equal(5 / 7.0, matrix.Precision(1));
    }

    [Fact]
    public void NeighbouringPrecisionsOfAHundredPercentStaySeparate()
    {
        var matrix = new ConfusionMatrix(["a", "b", "c"]);
        matrix.Add(0, 0);
        matrix.Add(1, 1);
        matrix.Add(2, 0);
        string[] lines = matrix.ToText().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("precision         50.0% 100.0%      -", lines[4]);
        Assert.All(lines[..4], line => Assert.Equal(lines[4].Length + "  recall".Length, line.Length)); // the columns line up
    }

    [Fact]
    public void ArgMaxTakesTheFirstOfTiesAndSkipsNaN()
    {
        Assert.Equal(1, Prediction.ArgMax([0.1f, 0.5f, 0.5f]));
        Assert.Equal(2, Prediction.ArgMax([float.NaN, 0.1f, 0.7f]));
        Assert.Throws<ArgumentException>(() => Prediction.Of(new TinyNet(1), new float[35]));
    }
}
