using System.Security.Cryptography;
using System.Text;
using Resh.Core.Config;
using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>
/// An exclusive advisory lock (flock, through FileShare.None) serialising resh's read-modify-write of
/// one shared file (a crontab, a drop-in): without it, parallel calls each read the old text and the
/// last rename wins, so every call reports ok while only one change survives. The lock file lives in
/// the state dir's <c>locks</c> (0700, the lock file 0600 as SPEC §7 wants), named by a hash of the path, never next to the file it guards.
/// Waits up to <paramref name="wait"/> (default 60 s) for another resh, then fails with <c>conflict</c>.
/// Null when the state dir cannot be created (a user without a writable home): the call then runs unlocked.
/// </summary>
public static class FileLock
{
    public static FileStream? Take(ReshPaths paths, string guarded, CancellationToken ct, TimeSpan? wait = null)
    {
        string dir;
        try { dir = paths.StateSubdir("locks"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(guarded))))[..24] + ".lock";
        try { return Open(Path.Combine(dir, name), wait ?? TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50), ct); }
        catch (UnauthorizedAccessException) { return null; }
        catch (IOException)
        {
            throw ReshError.Conflict($"Another resh is changing {guarded}.", "Wait for it to finish and retry.").ToException();
        }
    }

    /// <summary>
    /// Opens (creating it 0600) and flocks one lock file, retrying every <paramref name="poll"/> while another process
    /// holds it; after <paramref name="wait"/> the last IOException is thrown.
    /// </summary>
    public static FileStream Open(string path, TimeSpan wait, TimeSpan poll, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                ct.WaitHandle.WaitOne(poll);
                ct.ThrowIfCancellationRequested();
            }
        }
    }
}
