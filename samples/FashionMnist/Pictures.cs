using DslConv.Data;
using DslConv.Metrics;
using DslConv.Plots;
using DslConv.Training;

namespace FashionMnistSample;

/// <summary>The PNGs the options ask for: training curves, the confusion matrix, the lesson's feature maps.</summary>
internal static class Pictures
{
    /// <summary>The lesson's three test images (all shoes, so one filter's response can be compared across them).</summary>
    public static readonly int[] FeatureImages = [0, 23, 28];

    public static void Write(CommandLine options, FashionCnn model, FitHistory history, ConfusionMatrix confusion, LabeledImages test)
    {
        if (options.Plot is string plot)
        {
            if (history.Count == 0) Console.WriteLine($"No epochs trained: {plot} not written.");
            else
            {
                TrainingCurves.Save(plot, history, $"FashionCnn on Fashion-MNIST, seed {options.Seed}");
                Console.WriteLine($"Wrote the training curves to {plot}.");
            }
        }
        if (options.Confusion is string matrix)
        {
            ConfusionMatrixPlot.Save(matrix, confusion, $"FashionCnn, Fashion-MNIST test set: {confusion.Accuracy:P2} accuracy");
            Console.WriteLine($"Wrote the confusion matrix to {matrix}.");
        }
        if (options.ShowFeatures is string features)
        {
            FeatureMaps.SaveGrid(features, model, test, FeatureImages, options.Filter, layers: CommandLine.FeatureLayers);
            Console.WriteLine($"Wrote filter {options.Filter}'s feature maps of test images {string.Join(", ", FeatureImages)} to {features}.");
        }
    }
}
