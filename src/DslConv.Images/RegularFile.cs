using System.Runtime.InteropServices;
using System.Text;

namespace DslConv.Images;

/// <summary>
/// Reads an image file's bytes only when it is a regular file of a bounded size. Opening a named pipe blocks until
/// someone writes to it, and a link to <c>/dev/zero</c> reads without end, so the type is asked of the file system
/// first, by path, following links to the final target (<c>stat</c>, which opens nothing), and only a regular file is
/// opened. .NET reports pipes and devices as ordinary files (their attributes are <c>Normal</c>, their length 0), so the
/// type comes from the C library: <c>statx</c> on Linux, whose layout is the same on every architecture, and
/// <c>stat</c> on macOS. Both are found in the process's own symbol table (every process links its C library), which
/// also works in a NativeAOT build. Where neither answers (another Unix, a browser's WebAssembly, a C library before glibc 2.28, a sandbox
/// that refuses statx), a final target that reports no length is refused unopened, as pipes and devices report none;
/// what is left there is a file swapped for a pipe between that check and the open.
/// </summary>
internal static unsafe class RegularFile
{
    /// <summary>
    /// The whole of <paramref name="path"/>, or <see cref="InvalidDataException"/> naming it when it is not a regular
    /// file, is empty, or holds more than <paramref name="maxBytes"/>; a missing file is the usual I/O exception, and a
    /// name that is not valid UTF-8 is said to be so.
    /// </summary>
    public static byte[] ReadAll(string path, long maxBytes)
    {
        CheckName(path);
        FileType type = TypeOf(path);
        if (type is not (FileType.Regular or FileType.Unknown))
            throw new InvalidDataException($"'{path}' is {Describe(type)}, not a regular file; only regular files are read as images.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        long length = stream.Length;
        if (length == 0) throw new InvalidDataException($"'{path}' is empty.");
        if (length > maxBytes)
            throw new InvalidDataException($"'{path}' holds {length:N0} bytes, more than an image within the pixel limit needs " +
                $"({maxBytes:N0} bytes); it was not read.");
        var bytes = new byte[length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = stream.Read(bytes, read, bytes.Length - read);
            if (n == 0) break; // shrank since its length was read: what is there is decoded (and found truncated)
            read += n;
        }
        return read == bytes.Length ? bytes : bytes[..read];
    }

    /// <summary>
    /// .NET reads a name that is not valid UTF-8 from the directory with U+FFFD in place of the bad bytes, and that name
    /// then does not exist; say so instead of "not found".
    /// </summary>
    public static void CheckName(string path)
    {
        if (path.Contains('\uFFFD') && !Path.Exists(path) && new FileInfo(path).LinkTarget is null)
            throw new InvalidDataException($"The name '{path}' is not valid UTF-8 (U+FFFD stands for the bytes that are not), " +
                "so it cannot be opened; rename it in UTF-8.");
    }

    private enum FileType { Unknown, NoLength, Regular, Directory, Pipe, CharacterDevice, BlockDevice, Socket, Link }

    private static string Describe(FileType type) => type switch
    {
        FileType.Directory => "a directory",
        FileType.Pipe => "a named pipe (FIFO)",
        FileType.CharacterDevice => "a character device",
        FileType.BlockDevice => "a block device",
        FileType.Socket => "a socket",
        FileType.Link => "a symbolic link that does not resolve",
        FileType.NoLength => "empty, or a pipe or device",
        _ => "not a regular file",
    };

    /// <summary>The type of what <paramref name="path"/> finally names, links followed.</summary>
    private static FileType TypeOf(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // No pipes or devices among ordinary names there; links are resolved by the open itself.
            var attributes = File.GetAttributes(path);
            return (attributes & FileAttributes.Directory) != 0 ? FileType.Directory
                : (attributes & FileAttributes.Device) != 0 ? FileType.CharacterDevice : FileType.Regular;
        }
        int mode = Stat.Available ? Stat.Mode(path) : -1;
        if (mode < 0)
        {
            // No stat here, or it failed (a missing file or link target, or a sandbox that refuses statx). Pipes and
            // devices report no length, so a final target without one is refused before the open could block on it.
            FileSystemInfo? final = File.ResolveLinkTarget(path, returnFinalTarget: true); // null: not a link
            if (final is { Exists: false }) return FileType.Link;
            var target = new FileInfo(final?.FullName ?? path);
            return target.Exists && target.Length == 0 ? FileType.NoLength : FileType.Unknown; // missing: the open says so
        }
        return (mode & 0xF000) switch // S_IFMT, the same bits on Linux and macOS
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0x1000 => FileType.Pipe,
            0x2000 => FileType.CharacterDevice,
            0x6000 => FileType.BlockDevice,
            0xC000 => FileType.Socket,
            _ => FileType.Unknown,
        };
    }

    /// <summary>The C library's stat, as its mode's file-type bits.</summary>
    private static class Stat
    {
        private const int AtCurrentDirectory = -100; // AT_FDCWD
        private const uint TypeMask = 0x1; // STATX_TYPE

        /// <summary>Linux: <c>int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *out)</c>.</summary>
        private static readonly delegate* unmanaged<int, byte*, int, uint, byte*, int> Statx;

        /// <summary>macOS: <c>int stat(const char *path, struct stat *out)</c> with 64-bit inodes.</summary>
        private static readonly delegate* unmanaged<byte*, byte*, int> MacStat;

        public static readonly bool Available;

        static Stat()
        {
            // Elsewhere (a browser's WebAssembly, where there is no main program to look into and asking throws), the
            // fallback in TypeOf decides.
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
            nint program = NativeLibrary.GetMainProgramHandle();
            if (OperatingSystem.IsLinux() && NativeLibrary.TryGetExport(program, "statx", out nint statx))
            {
                Statx = (delegate* unmanaged<int, byte*, int, uint, byte*, int>)statx;
                Available = true;
            }
            else if (OperatingSystem.IsMacOS()
                && NativeLibrary.TryGetExport(program, RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "stat$INODE64" : "stat", out nint stat))
            {
                MacStat = (delegate* unmanaged<byte*, byte*, int>)stat;
                Available = true;
            }
        }

        /// <summary>st_mode of the final target of <paramref name="path"/>, or -1 when it cannot be asked.</summary>
        public static int Mode(string path)
        {
            byte[] name = Encoding.UTF8.GetBytes(path + '\0');
            byte* buffer = stackalloc byte[512]; // struct statx is 256 bytes, macOS's struct stat 144
            fixed (byte* pathBytes = name)
            {
                if (Statx is not null)
                    return Statx(AtCurrentDirectory, pathBytes, 0, TypeMask, buffer) == 0 ? *(ushort*)(buffer + 28) : -1; // stx_mode
                return MacStat(pathBytes, buffer) == 0 ? *(ushort*)(buffer + 4) : -1; // st_mode after st_dev
            }
        }
    }
}
