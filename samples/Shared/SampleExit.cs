namespace DslConv.Samples;

/// <summary>
/// How every sample ends when it cannot do what it was asked: one line on standard error and an exit code, never a
/// stack trace. A refusal (a bad option, value or combination, an input that is missing or damaged, an output that
/// cannot be written) is <see cref="Refused"/>; the checks run before any data is loaded, and <see cref="Run"/> turns what
/// only shows up later (a corrupt image met while streaming, a disk that fills) into the same one line.
/// </summary>
internal static class SampleExit
{
    /// <summary>The exit code of every refusal.</summary>
    public const int Refused = 2;

    /// <summary>A failure that is not the user's to fix (a bug): still one line, with the exception's type.</summary>
    public const int InternalError = 70; // EX_SOFTWARE in sysexits.h

    /// <summary>Prints <paramref name="message"/> as one "error: ..." line and returns <see cref="Refused"/>.</summary>
    public static int Refuse(string message)
    {
        Console.Error.WriteLine($"error: {OneLine(message)}");
        return Refused;
    }

    /// <summary>
    /// Runs a sample's body: the exceptions a user's input or environment can cause become one line and
    /// <see cref="Refused"/>; anything else one line and <see cref="InternalError"/>. <paramref name="onFailure"/> sees
    /// the exit code first (an MPI job ends all its processes there). DSLCONV_STACK_TRACE=1 prints the whole exception.
    /// </summary>
    public static int Run(Func<int> body, Func<int, int>? onFailure = null)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            bool users = IsUsers(e);
            Console.Error.WriteLine(users ? $"error: {Describe(e)}" : $"error: internal error ({e.GetType().Name}): {Describe(e)}");
            if (Environment.GetEnvironmentVariable("DSLCONV_STACK_TRACE") == "1") Console.Error.WriteLine(e);
            int code = users ? Refused : InternalError;
            return onFailure is null ? code : onFailure(code);
        }
    }

    /// <summary>The exceptions a command line, a data file or the file system can cause, as opposed to a bug.</summary>
    public static bool IsUsers(Exception e) => e is InvalidDataException or IOException or UnauthorizedAccessException
        or ArgumentException or NotSupportedException or OutOfMemoryException or System.Security.SecurityException
        || e is AggregateException { InnerExceptions.Count: > 0 } all && all.InnerExceptions.All(IsUsers); // Parallel.For's

    /// <summary>The exception's message as one line, without .NET's "(Parameter 'x')" and "Actual value was" additions.</summary>
    public static string Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions: [var first, ..] }) return Describe(first);
        if (e is OutOfMemoryException) return "not enough memory for this run; a smaller batch or fewer images need less.";
        string message = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: { } actual })
            message = message.Replace($"{Environment.NewLine}Actual value was {actual}.", "");
        if (e is ArgumentException { ParamName: { } parameter }) message = message.Replace($" (Parameter '{parameter}')", "");
        return OneLine(message);
    }

    /// <summary><paramref name="text"/> with its line breaks made spaces.</summary>
    public static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Null when <paramref name="path"/> is an existing folder, else the refusal naming <paramref name="option"/>.</summary>
    public static string? ExistingFolder(string option, string path) =>
        path.Length == 0 ? $"{option}: an empty path."
        : File.Exists(path) ? $"{option} {path}: is a file; give a folder."
        : !Directory.Exists(path) ? $"{option} {path}: no such folder."
        : null;

    /// <summary>
    /// Null when <paramref name="path"/> is not a file and <paramref name="available"/> says it holds the data, else the
    /// refusal: "is a file", or <paramref name="missing"/>'s message (which says how to get the data).
    /// </summary>
    public static string? DataFolder(string option, string path, Func<string, bool> available, Func<string, string> missing) =>
        path.Length == 0 ? $"{option}: an empty path."
        : File.Exists(path) ? $"{option} {path}: is a file; give a folder."
        : available(path) ? null
        : missing(path);

    /// <summary>Null when <paramref name="path"/> is an existing file, else the refusal naming <paramref name="option"/>.</summary>
    public static string? ExistingFile(string option, string path) =>
        path.Length == 0 ? $"{option}: an empty path."
        : Directory.Exists(path) ? $"{option} {path}: is a folder; give a file."
        : !File.Exists(path) ? $"{option} {path}: no such file."
        : null;

    /// <summary>
    /// Null when a folder can be written at <paramref name="path"/>, else the refusal naming <paramref name="option"/>.
    /// Creates nothing: an existing folder is probed with a temporary file that is deleted at once; a missing one must
    /// have a folder, not a file, as its nearest existing ancestor.
    /// </summary>
    public static string? WritableFolder(string option, string path)
    {
        if (path.Length == 0) return $"{option}: an empty path.";
        if (File.Exists(path)) return $"{option} {path}: is a file; give a folder.";
        try
        {
            string full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                DslConv.Serialization.AtomicFile.CheckWritable(Path.Combine(full, "probe-" + Guid.NewGuid().ToString("N")));
                return null;
            }
            for (string? above = Path.GetDirectoryName(full); above is not null; above = Path.GetDirectoryName(above))
            {
                if (File.Exists(above)) return $"{option} {path}: {above} is a file, so the folder cannot be made there.";
                if (Directory.Exists(above)) return null;
            }
            return null;
        }
        catch (Exception e) when (IsUsers(e))
        {
            return $"{option} {path}: {Describe(e)}";
        }
    }
}
