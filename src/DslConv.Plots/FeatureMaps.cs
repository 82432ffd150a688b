using System.Globalization;
using DslConv.Data;
using DslConv.Models;
using ScottPlot;

namespace DslConv.Plots;

/// <summary>
/// The Keras lesson's look inside the network ("visualizing the convolutions and pooling"): for a few images, one
/// filter's channel of each of the first layers' outputs, as a grid of small heatmaps.
/// </summary>
public static class FeatureMaps
{
    private const int CellSize = 190, Gap = 14, RowLabelWidth = 60, HeaderHeight = 96, Margin = 12;

    /// <summary>The size of the PNG <see cref="SaveGrid"/> writes for this many images and layers, in pixels.</summary>
    public static (int Width, int Height) Size(int images, int layers) =>
        (RowLabelWidth + layers * (CellSize + Gap) - Gap + Margin * 2, HeaderHeight + images * (CellSize + Gap) - Gap + Margin);

    /// <summary>
    /// Writes a grid with one row per image and one column per layer: channel <paramref name="filter"/> (0-based, as
    /// the lesson's <c>CONVOLUTION_NUMBER</c>) of the output of each of the first <paramref name="layers"/> layers
    /// (for the lesson's CNN: conv, pool, conv, pool), each map scaled to its own range with the inferno colour map,
    /// without axes. Column titles give the layer's name and output shape. Layer outputs come from
    /// <see cref="LayerOutputs.Compute"/>, so a convolution is shown whole, before its pooling.
    /// </summary>
    /// <param name="path">The PNG to write; its folder is created when missing.</param>
    /// <param name="model">The (trained) model to look into.</param>
    /// <param name="images">Images of the model's input shape (e.g. the test set).</param>
    /// <param name="imageIndices">Which images, one row each (the lesson uses test images 0, 23 and 28).</param>
    /// <param name="filter">The channel to show in every layer; every shown layer must have more channels than this.</param>
    /// <param name="layers">How many layers from the first to show; each must have an (H, W, C) output.</param>
    /// <exception cref="ArgumentException">An image index, the filter or the layer count does not fit the model or data.</exception>
    public static void SaveGrid(string path, INetwork model, LabeledImages images, IReadOnlyList<int> imageIndices,
        int filter = 1, int layers = 4)
    {
        Output.Check(path, nameof(path));
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(imageIndices);
        ModelDescription architecture = model.Architecture;
        Check(architecture, images, imageIndices, filter, layers);

        (int width, int height) = Size(imageIndices.Count, layers);
        using var figure = new Figure(width, height);
        figure.Text($"Channel {filter} of each layer's output", width / 2f, 30, 20, bold: true);
        for (int column = 0; column < layers; column++)
        {
            LayerDescription layer = architecture.Layers[column];
            float x = ColumnLeft(column) + CellSize / 2f;
            figure.Text(layer.Name, x, HeaderHeight - 36, 16, bold: true);
            figure.Text($"({string.Join(", ", layer.OutputShape)})", x, HeaderHeight - 14, 14);
        }

        ReadOnlySpan<float> parameters = model.Parameters;
        for (int row = 0; row < imageIndices.Count; row++)
        {
            int index = imageIndices[row];
            float[][] outputs = LayerOutputs.Compute(architecture, parameters, images.Image(index));
            float top = RowTop(row);
            figure.Text($"image {index.ToString(CultureInfo.InvariantCulture)}", Margin + RowLabelWidth / 2f, top + CellSize / 2f, 16, rotation: -90);
            for (int column = 0; column < layers; column++)
            {
                IReadOnlyList<int> shape = architecture.Layers[column].OutputShape;
                using Plot cell = Cell(Channel(outputs[column], shape[0], shape[1], shape[2], filter));
                // Keep the map's aspect ratio inside the square cell.
                float scale = (float)CellSize / Math.Max(shape[0], shape[1]);
                float w = shape[1] * scale, h = shape[0] * scale;
                figure.Draw(cell, ColumnLeft(column) + (CellSize - w) / 2, top + (CellSize - h) / 2, w, h);
            }
        }
        figure.Save(path);
    }

    private static float ColumnLeft(int column) => Margin + RowLabelWidth + column * (CellSize + Gap);

    private static float RowTop(int row) => HeaderHeight + row * (CellSize + Gap);

    private static void Check(ModelDescription architecture, LabeledImages images, IReadOnlyList<int> imageIndices, int filter, int layers)
    {
        if (images.Height != architecture.InputShape[0] || images.Width != architecture.InputShape[1] || images.Channels != architecture.InputShape[2])
            throw new ArgumentException(
                $"The images are ({images.Height}, {images.Width}, {images.Channels}) but {architecture.Name} takes ({string.Join(", ", architecture.InputShape)}).",
                nameof(images));
        if (imageIndices.Count == 0) throw new ArgumentException("No image indices: the grid needs at least one row.", nameof(imageIndices));
        foreach (int index in imageIndices)
            if ((uint)index >= (uint)images.Count)
                throw new ArgumentOutOfRangeException(nameof(imageIndices), index, $"Image index {index} is outside the {images.Count} images (0..{images.Count - 1}).");
        if (layers < 1 || layers > architecture.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"{architecture.Name} has {architecture.Layers.Count} layers; show 1 to {architecture.Layers.Count}.");
        if (filter < 0) throw new ArgumentOutOfRangeException(nameof(filter), filter, "The filter is a 0-based channel index.");
        for (int i = 0; i < layers; i++)
        {
            LayerDescription layer = architecture.Layers[i];
            if (layer.OutputShape.Count != 3)
                throw new ArgumentException(
                    $"Layer {i} ({layer.Name}, {layer.Type}) outputs ({string.Join(", ", layer.OutputShape)}), not an (H, W, C) map; " +
                    $"show at most the first {i} layers.",
                    nameof(layers));
            if (filter >= layer.OutputShape[2])
                throw new ArgumentOutOfRangeException(nameof(filter), filter,
                    $"Layer {i} ({layer.Name}) has {layer.OutputShape[2]} channels (0..{layer.OutputShape[2] - 1}).");
        }
    }

    // (H, W, C) channels-last -> the (H, W) plane of one channel; row 0 is the top of the image.
    private static double[,] Channel(float[] map, int height, int width, int channels, int channel)
    {
        var plane = new double[height, width];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            plane[y, x] = map[(y * width + x) * channels + channel];
        return plane;
    }

    private static Plot Cell(double[,] plane)
    {
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(plane);
        heatmap.Colormap = new ScottPlot.Colormaps.Inferno();
        heatmap.Smooth = false;
        // A constant map (a dead ReLU channel, say) has an empty range; draw it as the bottom colour.
        double min = plane.Cast<double>().Min(), max = plane.Cast<double>().Max();
        heatmap.ManualRange = new ScottPlot.Range(min, max > min ? max : min + 1);
        // The cells fill the plot exactly: column x spans [x, x + 1], row 0 (the image's top) drawn at the top.
        int height = plane.GetLength(0), width = plane.GetLength(1);
        heatmap.Rectangle = new CoordinateRect(0, width, 0, height);
        plot.Layout.Frameless();
        plot.HideAxesAndGrid();
        plot.Axes.SetLimits(0, width, 0, height);
        return plot;
    }
}
