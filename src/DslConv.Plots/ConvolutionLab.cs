using DslConv.Kernels;

namespace DslConv.Plots;

/// <summary>A fixed filter for <see cref="ConvolutionLab"/>: its weights (rows top to bottom) and the lab's overall weight.</summary>
/// <param name="Name">What it finds, for people ("horizontal edges").</param>
/// <param name="FileStem">The start of its output file names ("horizontal-edges").</param>
/// <param name="Weights">The kernel, [row, column]; output (y, x) = Σ Weights[ky, kx] · image[y + ky, x + kx], as in Keras.</param>
/// <param name="Weight">The lab's <c>weight</c>: every sum is multiplied by it before the clip.</param>
public sealed record ImageFilter(string Name, string FileStem, float[,] Weights, float Weight = 1)
{
    /// <summary>The weights as Python writes them: <c>[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]</c>.</summary>
    public string Describe() =>
        "[" + string.Join(", ", Enumerable.Range(0, Weights.GetLength(0)).Select(r =>
            "[" + string.Join(", ", Enumerable.Range(0, Weights.GetLength(1)).Select(c => Weights[r, c].ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]")) + "]";
}

/// <summary>One filter's trip through the lab: the clipped convolution, its pooling, and where they were written.</summary>
public sealed record LabStep(ImageFilter Filter, GrayImage Convolved, GrayImage Pooled, string ConvolvedPath, string PooledPath);

/// <summary>Everything <see cref="ConvolutionLab.Run"/> made.</summary>
public sealed record LabRun(GrayImage Original, string OriginalPath, IReadOnlyList<LabStep> Steps);

/// <summary>
/// The Keras course's "exploring convolutions" lab, done with the runtime's own kernels instead of a Python loop:
/// 3x3 filters over a grey image with Keras's "valid" padding (an H x W image gives (H - 2) x (W - 2)), each value
/// times the filter's weight and clipped to 0..255 as the lab does, then a 2x2 max pool with stride 2.
/// <para>
/// The lab's loop instead leaves the one-pixel border as it was (unfiltered), so its images keep their size. Inside
/// the border the two agree: the lab's current loop adds <c>image[x + r - 1, y + c - 1] * filter[r][c]</c> with x the
/// row, which is Keras's cross-correlation, unflipped.
/// </para>
/// </summary>
public static class ConvolutionLab
{
    /// <summary>
    /// The lab's two "filters to try for fun", and an outline filter of our choosing. The first responds to
    /// horizontal edges (a change from row to row), the second, its transpose, to vertical ones. The outline filter
    /// (8 at the centre, -1 around) is the 8-neighbour Laplacian: it answers to edges in every direction at once,
    /// and its sign keeps the bright side of each edge, which the clip to 0..255 would otherwise throw away. It is
    /// the lab's own first filter, [[0, 1, 0], [1, -4, 1], [0, 1, 0]], made to see the diagonals too.
    /// </summary>
    public static IReadOnlyList<ImageFilter> Filters { get; } =
    [
        new("horizontal edges", "horizontal-edges", new float[,] { { -1, -2, -1 }, { 0, 0, 0 }, { 1, 2, 1 } }),
        new("vertical edges", "vertical-edges", new float[,] { { -1, 0, 1 }, { -2, 0, 2 }, { -1, 0, 1 } }),
        new("outline", "outline", new float[,] { { -1, -1, -1 }, { -1, 8, -1 }, { -1, -1, -1 } }),
    ];

    /// <summary>
    /// Applies every filter to <paramref name="image"/> as one Keras <c>Conv2D(filters.Count, (kh, kw),
    /// padding="valid", use_bias=False)</c> layer (one im2col, one matrix product), then multiplies by each filter's
    /// weight and clips to 0..255. All filters must have the same size.
    /// </summary>
    public static GrayImage[] Convolve(GrayImage image, IReadOnlyList<ImageFilter> filters)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0) throw new ArgumentException("No filters to apply.", nameof(filters));
        int kh = filters[0].Weights.GetLength(0), kw = filters[0].Weights.GetLength(1);
        if (filters.Any(f => f.Weights.GetLength(0) != kh || f.Weights.GetLength(1) != kw))
            throw new ArgumentException($"The filters must all be {kh}x{kw}, like the first.", nameof(filters));
        if (image.Height < kh || image.Width < kw)
            throw new ArgumentException($"A {kh}x{kw} filter does not fit in a {image.Width}x{image.Height} image.", nameof(image));

        int count = filters.Count;
        // The sizes are kept here: the geometry's own are internal to DslConv (what the kernels read, issue 21).
        int outH = ConvGeometry.ValidOutput(image.Height, kh, 1), outW = ConvGeometry.ValidOutput(image.Width, kw, 1);
        int outputPixels = outH * outW, patchSize = kh * kw;
        var g = new ConvGeometry(image.Height, image.Width, 1, kh, kw, 1, 1, 0, 0, outH, outW);

        // Keras's kernel layout (kh, kw, in = 1, out = count), the lab's weight folded in.
        var kernel = new float[kh * kw * count];
        for (int f = 0; f < count; f++)
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
            kernel[(ky * kw + kx) * count + f] = filters[f].Weights[ky, kx] * filters[f].Weight;

        // patches (OH*OW, KH*KW) · kernel (KH*KW, count) = output (OH*OW, count), channels last. DirectConvolution would
        // skip the patches but wants filters in multiples of 16; three filters go through Im2Col and Gemm.
        var patches = new float[outputPixels * patchSize];
        Convolution.Im2Col(image.Pixels, g, patches);
        var output = new float[outputPixels * count];
        Gemm.Multiply(outputPixels, count, patchSize, patches, patchSize, 1, kernel, count, output, count, GemmStart.Zero);

        var results = new GrayImage[count];
        for (int f = 0; f < count; f++)
        {
            var pixels = new float[outputPixels];
            for (int p = 0; p < pixels.Length; p++) pixels[p] = Math.Clamp(output[p * count + f], 0f, 255f);
            results[f] = new GrayImage(outW, outH, pixels);
        }
        return results;
    }

    /// <summary>Keras's <c>MaxPooling2D(size)</c>: the largest of each size x size block, stride size, a leftover row or column dropped.</summary>
    public static GrayImage MaxPool(GrayImage image, int size = 2)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (image.Height < size || image.Width < size)
            throw new ArgumentException($"A {size}x{size} pool does not fit in a {image.Width}x{image.Height} image.", nameof(image));
        int outH = ConvGeometry.ValidOutput(image.Height, size, size), outW = ConvGeometry.ValidOutput(image.Width, size, size);
        var g = new ConvGeometry(image.Height, image.Width, 1, size, size, size, size, 0, 0, outH, outW);
        var pooled = new float[outH * outW];
        Pooling.MaxForward(image.Pixels, g, pooled, new int[outH * outW]);
        return new GrayImage(outW, outH, pooled);
    }

    /// <summary>
    /// The whole lab: writes <paramref name="image"/> as <c>original.png</c>, then for each filter
    /// <c>{stem}-convolved.png</c> and <c>{stem}-pooled.png</c>, into <paramref name="outputDirectory"/> (created when
    /// missing).
    /// </summary>
    public static LabRun Run(GrayImage image, string outputDirectory, IReadOnlyList<ImageFilter>? filters = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        filters ??= Filters;
        string folder = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(folder);

        string originalPath = Path.Combine(folder, "original.png");
        image.SavePng(originalPath);
        GrayImage[] convolved = Convolve(image, filters);
        var steps = new List<LabStep>(filters.Count);
        for (int f = 0; f < filters.Count; f++)
        {
            GrayImage pooled = MaxPool(convolved[f]);
            string convolvedPath = Path.Combine(folder, $"{filters[f].FileStem}-convolved.png");
            string pooledPath = Path.Combine(folder, $"{filters[f].FileStem}-pooled.png");
            convolved[f].SavePng(convolvedPath);
            pooled.SavePng(pooledPath);
            steps.Add(new LabStep(filters[f], convolved[f], pooled, convolvedPath, pooledPath));
        }
        return new LabRun(image, originalPath, steps);
    }
}
