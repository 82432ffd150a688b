using System.Security.Cryptography;

namespace DslConv.Serialization;

/// <summary>
/// Writes a file so that it is either replaced whole or left as it was: the bytes go to a new temporary file next to
/// the target, are flushed to disk and then renamed over it. Every writer of DslConv (weights, checkpoints, ONNX,
/// pictures) goes through here. Two writers to the same target at once are not supported.
/// </summary>
/// <remarks>
/// The temporary file is private to one write: its name is the target's with 16 random hex digits added
/// (<c>model.onnx.3f9a1c2b7d4e0815.tmp</c>), and it is created exclusively (<see cref="FileMode.CreateNew"/>, which is
/// <c>O_CREAT | O_EXCL</c>: it fails rather than open anything already there, a symbolic link included), with a new name
/// on the rare collision. So a write never truncates a user's own <c>model.onnx.tmp</c>, and never writes through a
/// link that someone placed at a predictable name in a shared folder. The rename replaces the target's directory entry
/// (a link at the target is replaced, not followed). A process killed mid-write leaves its one temporary file, which
/// DslConv never deletes later, since it cannot prove that a file of that name is its own.
/// </remarks>
public static class AtomicFile
{
    /// <summary>How many fresh names a write tries before giving up; a collision needs someone guessing 64 random bits.</summary>
    private const int Attempts = 16;

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
        string? temporary = null;
        try
        {
            using (var stream = CreateTemporary(fullPath, path, 1 << 16, FileOptions.None, out temporary))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (Exception e)
        {
            if (temporary is null) throw; // not created: CreateTemporary's error already names the path
            DeleteQuietly(temporary);
            if (e is IOException or UnauthorizedAccessException) throw Rename(e, path, temporary);
            throw;
        }
    }

    /// <summary>
    /// Checks, before any long work, that <paramref name="path"/> could be written: not a directory, its folder exists
    /// (or is created when <paramref name="createFolder"/>), and a file can be created there (a temporary file is
    /// created and removed; an existing target is not touched). Throws what <see cref="Write"/> would, naming
    /// <paramref name="path"/>.
    /// </summary>
    public static void CheckWritable(string path, bool createFolder = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath)) throw new IOException($"Cannot write '{path}': it is a directory.");
        string? temporary = null;
        try
        {
            string? folder = Path.GetDirectoryName(fullPath);
            if (createFolder && !string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            else if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
                throw new DirectoryNotFoundException($"Cannot write '{path}': the folder '{folder}' does not exist.");
            if (File.Exists(fullPath) && File.GetAttributes(fullPath).HasFlag(FileAttributes.ReadOnly))
                throw new UnauthorizedAccessException($"Cannot write '{path}': the file is read-only.");
            using (CreateTemporary(fullPath, path, 1, FileOptions.DeleteOnClose, out temporary)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (temporary is not null) DeleteQuietly(temporary);
            if (e.Message.Contains($"'{path}'")) throw;
            throw Rename(e, path, temporary);
        }
    }

    /// <summary>
    /// Creates a file that did not exist (nor as a link) under a new random name next to <paramref name="fullPath"/>.
    /// <paramref name="temporary"/> is set only once the file is ours, so a failure never deletes someone else's file.
    /// </summary>
    private static FileStream CreateTemporary(string fullPath, string path, int bufferSize, FileOptions options, out string temporary)
    {
        for (int attempt = 1; ; attempt++)
        {
            string candidate = $"{fullPath}.{RandomNumberGenerator.GetHexString(16, lowercase: true)}.tmp";
            try
            {
                var stream = new FileStream(candidate, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize, options);
                temporary = candidate;
                return stream;
            }
            catch (IOException e) when (e is not (DirectoryNotFoundException or PathTooLongException) && Occupied(candidate))
            {
                if (attempt == Attempts)
                    throw new IOException($"Cannot write '{path}': {Attempts} new temporary names next to it were all taken.", e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Rename(e, path, candidate);
            }
        }
    }

    /// <summary>Whether anything has the name, a dangling symbolic link included.</summary>
    private static bool Occupied(string name)
    {
        var entry = new FileInfo(name);
        return entry.Exists || entry.LinkTarget is not null || Directory.Exists(name);
    }

    private static Exception Rename(Exception e, string path, string? temporary)
    {
        string reason = temporary is null ? e.Message : e.Message.Replace(temporary, path);
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
            File.Delete(file); // no-op when it is already gone
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one to report.
        }
    }
}
