namespace Resh.Core.Secrets;

/// <summary>
/// A secret handed to a program as a file (<c>--password-file</c>, <c>PGPASSFILE</c>): written 0600 in a
/// fresh 0700 directory on a tmpfs when one is available ($XDG_RUNTIME_DIR, /dev/shm), and overwritten
/// and removed on dispose. Prefer the environment or stdin (<see cref="Platform.ProcessOptions"/>) when
/// the program accepts them; never argv (SPEC §8).
/// </summary>
public sealed class SecretFile : IDisposable
{
    readonly string _dir;

    SecretFile(string dir, string path)
    {
        _dir = dir;
        Path = path;
    }

    public string Path { get; }

    /// <param name="content">Written as is; add a trailing newline if the program wants a line.</param>
    public static SecretFile Create(SecretValue content, string fileName = "secret")
    {
        var root = new[] { Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"), "/dev/shm" }
            .FirstOrDefault(d => !string.IsNullOrEmpty(d) && Directory.Exists(d) && IsWritable(d));
        var dir = root is null
            ? Directory.CreateTempSubdirectory("resh-secret-").FullName // 0700
            : CreatePrivateDir(root);
        var path = System.IO.Path.Combine(dir, fileName);
        using (var f = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            f.Write(content.RevealBytes());
        }
        return new SecretFile(dir, path);
    }

    static string CreatePrivateDir(string root)
    {
        for (int i = 0; i < 10; i++)
        {
            var dir = System.IO.Path.Combine(root, "resh-secret-" + Guid.NewGuid().ToString("N")[..12]);
            try
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                return dir;
            }
            catch (IOException) when (Directory.Exists(dir)) { }
        }
        return Directory.CreateTempSubdirectory("resh-secret-").FullName;
    }

    static bool IsWritable(string dir)
    {
        try { return (File.GetUnixFileMode(dir) & UnixFileMode.OtherWrite) != 0 || Platform.LibC.GetEUid() == 0 || Access(dir); }
        catch (IOException) { return false; }
    }

    static bool Access(string dir)
    {
        try
        {
            var probe = System.IO.Path.Combine(dir, ".resh-probe-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path))
            {
                var length = new FileInfo(Path).Length;
                using (var f = new FileStream(Path, FileMode.Open, FileAccess.Write)) f.Write(new byte[length]);
                File.Delete(Path);
            }
            Directory.Delete(_dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
