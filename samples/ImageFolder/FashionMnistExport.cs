using System.Diagnostics;
using DslConv.Data;
using StbImageWriteSharp;

namespace ImageFolderSample;

/// <summary>
/// Writes Fashion-MNIST's real training and test images as grey PNG files in class-per-folder trees,
/// DIR/train/&lt;n_Class&gt;/&lt;index&gt;.png and DIR/test/..., the layout Keras's image_dataset_from_directory reads.
/// The class folders are numbered so that sorted folder order is Fashion-MNIST's label order.
/// </summary>
internal static class FashionMnistExport
{
    public static string FolderName(int label) => $"{label}_{FashionMnist.ClassNames[label].Replace('/', '_').Replace(' ', '_')}";

    public static void Export(string idxDirectory, string target)
    {
        var clock = Stopwatch.StartNew();
        foreach (var (part, images) in new[] { ("train", FashionMnist.LoadTraining(idxDirectory)), ("test", FashionMnist.LoadTest(idxDirectory)) })
        {
            string root = Path.Combine(target, part);
            for (int label = 0; label < FashionMnist.ClassNames.Count; label++) Directory.CreateDirectory(Path.Combine(root, FolderName(label)));
            Parallel.For(0, images.Count, index =>
            {
                // The IDX loader scales bytes to [0, 1]; the files hold the original bytes.
                ReadOnlySpan<float> image = images.Image(index);
                var pixels = new byte[image.Length];
                for (int p = 0; p < pixels.Length; p++) pixels[p] = (byte)MathF.Round(image[p] * 255f);
                string path = Path.Combine(root, FolderName(images.Labels[index]), $"{index:D5}.png");
                using var stream = File.Create(path);
                new ImageWriter().WritePng(pixels, images.Width, images.Height, ColorComponents.Grey, stream);
            });
            Console.WriteLine($"{images.Count:N0} {part} images written to {root}");
        }
        Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
