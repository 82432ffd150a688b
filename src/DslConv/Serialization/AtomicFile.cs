namespace DslConv.Serialization;

/// <summary>
/// Writes a file so that it is either replaced whole or left as it was: the bytes go to one fixed temporary name next
/// to the target (<c>target.tmp</c>), are flushed to disk and then renamed over it. A process killed mid-write leaves
/// at most that one temporary file, which the next write to the same target replaces. Every writer of DslConv
/// (weights, checkpoints, ONNX, pictures) goes through here. Two writers to the same target at once are not supported.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary file a write to <paramref name="fullPath"/> uses.</summary>
    public static string TemporaryPath(string fullPath) => fullPath + ".tmp";

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>. Errors name <paramref name="path"/> as given, not the
    /// temporary file; on any failure the temporary file is removed and an existing target is untouched.
    /// </summary>
    /// <exception cref="IOException">The target is a directory, its folder is missing, or the file system refused.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or the target is not writable.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath)) throw new IOException($"Cannot write '{path}': it is a directory.");
        string temporary = TemporaryPath(fullPath);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (Exception e)
        {
            DeleteQuietly(temporary);
            if (e is IOException or UnauthorizedAccessException) throw Rename(e, path, temporary);
            throw;
        }
    }

    /// <summary>
    /// Checks, before any long work, that <paramref name="path"/> could be written: not a directory, its folder exists
    /// (or is created when <paramref name="createFolder"/>), and a file can be created there (the temporary file is
    /// created and removed; an existing target is not touched). Throws what <see cref="Write"/> would, naming
    /// <paramref name="path"/>.
    /// </summary>
    public static void CheckWritable(string path, bool createFolder = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath)) throw new IOException($"Cannot write '{path}': it is a directory.");
        string temporary = TemporaryPath(fullPath);
        try
        {
            string? folder = Path.GetDirectoryName(fullPath);
            if (createFolder && !string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            else if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
                throw new DirectoryNotFoundException($"Cannot write '{path}': the folder '{folder}' does not exist.");
            if (File.Exists(fullPath) && File.GetAttributes(fullPath).HasFlag(FileAttributes.ReadOnly))
                throw new UnauthorizedAccessException($"Cannot write '{path}': the file is read-only.");
            using (new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(temporary);
            if (e.Message.Contains($"'{path}'")) throw;
            throw Rename(e, path, temporary);
        }
    }

    private static Exception Rename(Exception e, string path, string temporary)
    {
        string reason = e.Message.Replace(temporary, path);
        string message = reason.Contains(path) ? reason : $"Cannot write '{path}': {reason}";
        return e switch
        {
            UnauthorizedAccessException => new UnauthorizedAccessException(message, e),
            DirectoryNotFoundException => new DirectoryNotFoundException(message, e),
            PathTooLongException => new PathTooLongException(message, e),
            _ => new IOException(message, e),
        };
    }

    private static void DeleteQuietly(string file)
    {
        try
        {
            File.Delete(file); // no-op when it was never created
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one to report.
        }
    }
}
