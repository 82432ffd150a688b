using DslConv.Serialization;

namespace FashionMnistSample;

/// <summary>
/// Everything the sample will write, checked before any data is loaded or any epoch is trained: a path that cannot be
/// written fails in the first second, naming the option and the path as the user gave them, not after an hour of
/// training and not by an internal temporary name.
/// </summary>
internal static class OutputPaths
{
    /// <summary>The (option, path) pairs of every file the options ask for.</summary>
    public static IEnumerable<(string Option, string Path)> All(CommandLine options)
    {
        if (options.CheckpointPath is string checkpoint) yield return ("--checkpoint", checkpoint);
        if (options.Save is string save) yield return ("--save", save);
        if (options.ExportOnnx is string onnx) yield return ("--export-onnx", onnx);
        if (options.ExportInt8Onnx is string int8Onnx) yield return ("--export-int8-onnx", int8Onnx);
        if (options.Plot is string plot) yield return ("--plot", plot);
        if (options.Confusion is string confusion) yield return ("--confusion", confusion);
        if (options.ShowFeatures is string features) yield return ("--show-features", features);
    }

    /// <summary>Null when every output can be written, else the message to print.</summary>
    public static string? Check(CommandLine options)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, path) in All(options))
        {
            string full;
            try
            {
                full = Path.GetFullPath(path);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                return $"{option}: '{path}' is not a usable path ({e.Message})";
            }
            if (seen.TryGetValue(full, out string? other))
                return $"{other} and {option} both write '{path}'; give them different files.";
            seen[full] = option;
            // The checkpoint folder and the pictures' folders are created when missing, as their writers do; the weights
            // and the ONNX file need an existing folder.
            bool createFolder = option is not ("--save" or "--export-onnx");
            try
            {
                AtomicFile.CheckWritable(path, createFolder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return $"{option}: {e.Message}";
            }
        }
        return null;
    }
}
