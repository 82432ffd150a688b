using System.Diagnostics;
using DslConv.Data;
using DslConv.Models;
using FashionMnistSample;

namespace BrowserDemo;

/// <summary>One image's class probabilities from the lesson's network, and how many images a second it classifies here.</summary>
public sealed class Classifier
{
    private INetwork _model = FashionCnn.Pretrained();
    private readonly float[] _scores = new float[FashionMnist.ClassCount];

    /// <summary>Where the weights came from: compiled in, or trained in this page.</summary>
    public string Weights { get; private set; } = "the weights compiled into the app (5 epochs on all 60,000 images)";

    /// <summary>The classes from the most to the least probable, with their softmax probabilities.</summary>
    public IReadOnlyList<(string Name, float Probability)> Classify(ReadOnlySpan<float> image)
    {
        _model.Predict(image, _scores);
        return Enumerable.Range(0, _scores.Length)
            .OrderByDescending(c => _scores[c])
            .Select(c => (FashionMnist.ClassNames[c], _scores[c]))
            .ToList();
    }

    /// <summary>Images per second, one image at a time as the page classifies: <paramref name="image"/>, <paramref name="count"/> times.</summary>
    public double ImagesPerSecond(ReadOnlySpan<float> image, int count)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) _model.Predict(image, _scores);
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Classifies with <paramref name="model"/> from now on (the network trained in the page).</summary>
    public void Use(INetwork model, string weights)
    {
        _model = model;
        Weights = weights;
    }
}
