namespace DslConv.Images;

/// <summary>
/// Keras's <c>index_directory</c> for inferred labels: the class subfolders (sorted, hidden ones skipped, or the
/// names given), every image file under each (walked recursively without following links, folders in path order and
/// files sorted within each), labelled by its class's index; then NumPy's shuffle with the seed and the validation
/// split's last fraction. Names sort by ordinal, as Python sorts strings.
/// </summary>
internal static class DirectoryIndex
{
    /// <summary>Keras's allowlist, matched case-insensitively at the end of the file name.</summary>
    public static readonly string[] Formats = [".bmp", ".gif", ".jpeg", ".jpg", ".png"];

    public static (List<string> Files, List<int> Labels, string[] ClassNames) Index(string directory, ImageFolderOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"The image folder '{directory}' does not exist.");
        CheckSplit(options);
        string[] subfolders = Directory.GetDirectories(directory)
            .Select(path => Path.GetFileName(path))
            .Where(name => !name.StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        string[] classNames = options.ClassNames?.ToArray() ?? subfolders;
        if (options.ClassNames is not null)
        {
            string[] missing = classNames.Where(name => !subfolders.Contains(name, StringComparer.Ordinal)).ToArray();
            if (missing.Length > 0)
                throw new ArgumentException($"ClassNames names {string.Join(", ", missing.Select(n => $"'{n}'"))}, which {(missing.Length == 1 ? "is not a subfolder" : "are not subfolders")} " +
                    $"of '{directory}'; its subfolders are: {string.Join(", ", subfolders)}.", nameof(options));
        }
        if (classNames.Length == 0)
            throw new InvalidDataException($"The image folder '{directory}' has no class subfolders: put each class's images in a subfolder named after it.");

        var files = new List<string>();
        var labels = new List<int>();
        for (int label = 0; label < classNames.Length; label++)
        {
            string classFolder = Path.Combine(directory, classNames[label]);
            int before = files.Count;
            files.AddRange(ImagesUnder(classFolder));
            if (files.Count == before)
                throw new InvalidDataException($"The class folder '{classFolder}' holds no images ({string.Join(", ", Formats)}).");
            labels.AddRange(Enumerable.Repeat(label, files.Count - before));
        }

        if (options.Shuffle)
        {
            long seed = options.Seed ?? Random.Shared.Next(1_000_000); // Keras: np.random.randint(1e6)
            var order = Enumerable.Range(0, files.Count).ToList();
            new NumpyRandomState(seed).Shuffle(order); // the permutation Keras applies to both lists
            files = order.Select(i => files[i]).ToList();
            labels = order.Select(i => labels[i]).ToList();
        }
        return Split(files, labels, classNames, options, directory);
    }

    /// <summary>Keras's check_validation_split_arg.</summary>
    private static void CheckSplit(ImageFolderOptions options)
    {
        bool split = options.ValidationSplit > 0;
        if (split != (options.Subset != Subset.All))
            throw new ArgumentException("ValidationSplit and Subset go together: set both (Subset.Training or Subset.Validation) or neither.", nameof(options));
        if (split && options.Shuffle && options.Seed is null)
            throw new ArgumentException("A validation split of shuffled files needs a Seed, so that training and validation files do not overlap.", nameof(options));
    }

    private static (List<string>, List<int>, string[]) Split(List<string> files, List<int> labels, string[] classNames, ImageFolderOptions options, string directory)
    {
        if (options.Subset == Subset.All) return (files, labels, classNames);
        int validation = (int)(options.ValidationSplit * files.Count); // Python's int(): toward zero
        if (validation == 0 || validation == files.Count)
            throw new InvalidDataException($"A validation split of {options.ValidationSplit} of the {files.Count} images in '{directory}' leaves " +
                $"{(validation == 0 ? "no validation" : "no training")} image.");
        int start = options.Subset == Subset.Training ? 0 : files.Count - validation;
        int count = options.Subset == Subset.Training ? files.Count - validation : validation;
        return (files.GetRange(start, count), labels.GetRange(start, count), classNames);
    }

    /// <summary>Python's os.walk without following links, roots sorted by path, files sorted in each; image files only.</summary>
    private static IEnumerable<string> ImagesUnder(string classFolder)
    {
        var folders = new List<string>();
        var pending = new Stack<string>();
        pending.Push(classFolder);
        while (pending.Count > 0)
        {
            string folder = pending.Pop();
            RegularFile.CheckName(folder);
            folders.Add(folder);
            foreach (string child in Directory.GetDirectories(folder))
                if ((File.GetAttributes(child) & FileAttributes.ReparsePoint) == 0) pending.Push(child);
        }
        folders.Sort(StringComparer.Ordinal);
        foreach (string folder in folders)
            foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
                if (IsImage(file)) yield return file;
    }

    public static bool IsImage(string path) =>
        Formats.Any(format => path.EndsWith(format, StringComparison.OrdinalIgnoreCase));
}
