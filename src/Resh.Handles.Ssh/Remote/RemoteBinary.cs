using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// The resh build that runs on remote hosts: this very binary, identified by its SHA-256 (first 16
/// hex digits name the remote cache dir). Hashing 20+ MB costs tens of milliseconds, so the hash
/// is cached in the state dir, keyed by the file's path, size, mtime and inode.
/// </summary>
public sealed record RemoteBinary(string LocalPath, string Hash, string Arch)
{
    /// <summary>The name of the per-build directory under the remote cache.</summary>
    public string BuildId => Hash[..16];

    /// <summary>The oldest glibc this build loads on (read from its ELF version needs once, when a host lacks the build).</summary>
    public Version? RequiredGlibc
    {
        get
        {
            lock (_gate)
            {
                if (!_glibcRead) (_glibc, _glibcRead) = (ElfGlibc.Required(this.LocalPath), true);
                return _glibc;
            }
        }
    }
    Version? _glibc;
    bool _glibcRead;

    Task<string?>? _compressed, _zstd;
    readonly object _gate = new();

    /// <summary>
    /// This build gzipped, made once per build and kept in the state dir (build-ID.gz, 0600): a first contact
    /// sends under half the bytes through ssh's encryption, which is what a fleet's first call spends its
    /// time on. Null when it cannot be written (the upload then sends the binary as it is).
    /// </summary>
    public Task<string?> CompressedAsync(string stateDir)
    {
        lock (_gate) return _compressed ??= Task.Run(() => Compress(stateDir, "gz",
            o => new System.IO.Compression.GZipStream(o, System.IO.Compression.CompressionLevel.Optimal)));
    }

    /// <summary>
    /// This build zstd-compressed (level 9, build-ID.zst): a tenth fewer bytes than gzip and a sixth of gzip's
    /// CPU to unpack on the host (0.06 s instead of 0.4 s for 48 MB), sent to hosts that have the zstd tool.
    /// </summary>
    public Task<string?> ZstdAsync(string stateDir)
    {
        lock (_gate) return _zstd ??= Task.Run(() => Compress(stateDir, "zst", o =>
        {
            var z = new ZstdSharp.CompressionStream(o, 9, 1 << 20, leaveOpen: false);
            z.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, Math.Max(1, Environment.ProcessorCount));
            return z;
        }));
    }

    string? Compress(string stateDir, string ext, Func<Stream, Stream> compressor)
    {
        var path = Path.Combine(stateDir, $"build-{Arch}-{BuildId}.{ext}");
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length > 0) return path;
            var tmp = $"{path}.{Environment.ProcessId}.tmp";
            try
            {
            using (var input = new FileStream(LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            using (var output = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0x180 }))
            using (var packed = compressor(output))
                input.CopyTo(packed);
            File.Move(tmp, path, overwrite: true);
            }
            catch
            {
                // A full disk (or any failure) leaves no half-written temporary file behind.
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw;
            }
            // Older builds of this architecture go; another architecture's current build stays (a fleet with
            // aarch64 and x86_64 hosts sends both).
            foreach (var old in Directory.EnumerateFiles(stateDir, $"build-*.{ext}"))
                if (old != path && (ArchOf(old) ?? Arch) == Arch) File.Delete(old);
            return path;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        catch (ZstdSharp.ZstdException) { return null; }
    }

    /// <summary>The architecture a compressed build's name carries (build-ARCH-ID.gz), or null (an older name).</summary>
    static string? ArchOf(string gz)
    {
        var name = Path.GetFileName(gz);
        return RemoteBuilds.Rids.Keys.FirstOrDefault(a => name.StartsWith($"build-{a}-", StringComparison.Ordinal));
    }

    /// <summary>
    /// Removes what an interrupted run (SIGKILL, power loss) left in the state dir: build-*.gz.PID.tmp of a
    /// process that is gone, and raw-* spill files (normally unlinked at once) older than an hour.
    /// </summary>
    public static void SweepStaleTemps(string stateDir)
    {
        try
        {
            foreach (var f in Directory.EnumerateFiles(stateDir, "build-*.*.tmp"))
            {
                var parts = Path.GetFileName(f).Split('.');
                if (parts.Length >= 2 && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Directory.Exists($"/proc/{pid}")) continue;
                try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            foreach (var f in Directory.EnumerateFiles(stateDir, "raw-*"))
                if (File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddHours(-1))
                    try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static RemoteBinary Locate(SshSettings settings)
    {
        var path = settings.Binary;
        if (path is null)
        {
            if (RuntimeFeature.IsDynamicCodeSupported)
                throw ReshError.Unsupported("Remote stages need the native resh build; this one runs on the .NET runtime and cannot be copied to a host.",
                    "Use the published binary (scripts/build-native.sh), or set [ssh] binary = \"/path/to/native/resh\" in the config.").ToException();
            path = Environment.ProcessPath ?? "/proc/self/exe";
        }
        if (!File.Exists(path))
            throw ReshError.NotFound($"The resh binary to ship ({path}) does not exist.", "Fix [ssh] binary in the config.").ToException();
        SweepStaleTemps(settings.StateDir);
        return new RemoteBinary(path, CachedHash(path, settings.StateDir, "build-id"), ProcessArch);
    }

    /// <summary>This process's architecture in <c>uname -m</c> spelling.</summary>
    public static string ProcessArch => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        var a => a.ToString().ToLowerInvariant(),
    };

    /// <summary>The build for another architecture at <paramref name="path"/> (its hash cached apart from this process's build).</summary>
    public static RemoteBinary At(string path, string arch, SshSettings settings) =>
        new(path, CachedHash(path, settings.StateDir, $"build-id-{arch}"), arch);

    static string CachedHash(string path, string stateDir, string cacheName)
    {
        var info = new FileInfo(path);
        var inode = Posix.Stat(path, follow: true, out _)?.Inode ?? 0;
        var key = string.Join(' ', info.Length.ToString(CultureInfo.InvariantCulture), info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture),
            inode.ToString(CultureInfo.InvariantCulture), Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path))).ToLowerInvariant()[..16]);
        var cache = Path.Combine(stateDir, cacheName);
        try
        {
            var lines = File.ReadAllLines(cache);
            if (lines.Length == 2 && lines[0] == key && lines[1].Length == 64) return lines[1];
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }

        string hash;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            hash = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
        try { AtomicFile.Write(cache, System.Text.Encoding.UTF8.GetBytes($"{key}\n{hash}\n"), (UnixFileMode)0x180); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return hash;
    }
}
