using System.Security.Cryptography;
using System.Text.Json;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

/// <summary>
/// The content-addressed store: objects/ab/&lt;sha256&gt; hold file contents once across every
/// snapshot and tree; trees/&lt;tree-id&gt;/&lt;name&gt;.json hold manifests. Mutations take an exclusive lock.
/// </summary>
public sealed class SnapshotRepo
{
    /// <summary>The repository at <paramref name="root"/>; only a verb that writes snapshots creates it.</summary>
    public SnapshotRepo(string root, bool create = true)
    {
        Root = root;
        if (!create) return;
        ReshPaths.EnsurePrivateDir(root);
        ReshPaths.EnsurePrivateDir(Objects);
        ReshPaths.EnsurePrivateDir(Trees);
    }

    public string Root { get; }
    public string Objects => Path.Combine(Root, "objects");
    public string Trees => Path.Combine(Root, "trees");

    /// <summary>
    /// The repository a call names (repo=, else the state dir's). Reads (<paramref name="create"/> false) never create
    /// directories: a repo= that does not exist is `not_found`, and a default repository not made yet holds no snapshots.
    /// </summary>
    public static SnapshotRepo For(VerbContext ctx, string? repoArg, bool create = true)
    {
        if (create) return new(repoArg is { Length: > 0 } r ? Path.GetFullPath(r) : ctx.Runtime.Paths.StateSubdir("snapshots"));
        if (repoArg is { Length: > 0 } given)
        {
            var root = Path.GetFullPath(given);
            if (!Directory.Exists(Path.Combine(root, "trees")))
                throw ReshError.NotFound($"No snapshot repository at {root}.", "Check repo=; snapshot.create makes a repository on first use.").ToException();
            return new(root, create: false);
        }
        return new(Path.Combine(ctx.Runtime.Paths.StateDir, "snapshots"), create: false);
    }

    /// <summary>A stable, readable directory name for a tree: its base name and a hash of its full path.</summary>
    public static string TreeId(string path)
    {
        // The exact bytes of the path (a name that is not UTF-8 must not collide with its U+FFFD look-alike).
        var hash = Convert.ToHexStringLower(SHA256.HashData(Resh.Core.Text.PathBytes.Encode(path)))[..12];
        var name = Resh.Core.Text.PathBytes.Display(Path.GetFileName(path));
        return (name.Length == 0 ? "root" : name) + "-" + hash;
    }

    public string TreeDir(string path) => Path.Combine(Trees, TreeId(path));

    public string ObjectPath(string sha) => Path.Combine(Objects, sha[..2], sha);

    public bool HasObject(string sha) => System.IO.File.Exists(ObjectPath(sha));

    /// <summary>An exclusive lock on the repository (flock through FileShare.None), held until disposed.</summary>
    public FileStream Lock(CancellationToken ct)
    {
        var path = Path.Combine(Root, "lock");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                ct.WaitHandle.WaitOne(100);
                ct.ThrowIfCancellationRequested();
            }
            catch (IOException)
            {
                throw ReshError.Conflict($"The snapshot repository {Root} is locked by another resh.", "Wait for it to finish and retry.").ToException();
            }
        }
    }

    public static bool ValidName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@' or ':' or '+') && name[0] != '.';

    public string ManifestPath(string tree, string name) => Path.Combine(TreeDir(tree), name + ".json");

    public Manifest? Load(string tree, string name)
    {
        var p = ManifestPath(tree, name);
        return System.IO.File.Exists(p) ? Read(p) : null;
    }

    public static Manifest Read(string path)
    {
        Manifest m;
        try { m = JsonSerializer.Deserialize(System.IO.File.ReadAllBytes(path), ManifestJson.Default.Manifest) ?? throw new JsonException("empty"); }
        catch (JsonException ex) { throw ReshError.Failed($"The manifest {path} is damaged: {ex.Message}", "Delete the snapshot or restore the file.").ToException(); }
        // Names that are not UTF-8 are stored percent-escaped; in memory they are path strings again.
        if (m.Entries.Any(e => e.Escaped)) m = m with { Entries = m.Entries.Select(e => e.FromDisplay()).ToList() };
        if (m.PathEscaped) m = m with { Path = Resh.Core.Grammar.PercentDecoding.Decode(m.Path), PathEscaped = false };
        if (m.Unreadable?.Any(u => u.Escaped) == true)
            m = m with { Unreadable = m.Unreadable.Select(u => u.Escaped ? u with { Path = Resh.Core.Grammar.PercentDecoding.Decode(u.Path), Escaped = false } : u).ToList() };
        return m;
    }

    /// <summary>The paths of a manifest's unreadable entries, as path strings.</summary>
    public static IEnumerable<string> UnreadablePaths(Manifest m) => m.Unreadable?.Select(u => u.Path) ?? [];

    /// <summary>Snapshots of one tree, oldest first.</summary>
    public List<Manifest> List(string tree)
    {
        var dir = TreeDir(tree);
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir, "*.json").Select(Read).OrderBy(m => m.Created, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every manifest in the repository, whatever the tree.</summary>
    public IEnumerable<Manifest> All() => Directory.Exists(Trees)
        ? Directory.EnumerateFiles(Trees, "*.json", SearchOption.AllDirectories).Select(Read)
        : [];

    public void Save(Manifest m)
    {
        var dir = TreeDir(m.Path);
        ReshPaths.EnsurePrivateDir(dir);
        var stored = m with
        {
            Path = Resh.Core.Text.PathBytes.Display(m.Path, out var pathEscaped),
            PathEscaped = pathEscaped,
            Entries = m.Entries.Select(e => e.ForDisplay()).ToList(),
            Unreadable = m.Unreadable?.Select(u => Resh.Core.Text.PathBytes.Display(u.Path, out var esc) is var p && esc ? u with { Path = p, Escaped = true } : u).ToList(),
        };
        AtomicFile.Write(ManifestPath(m.Path, m.Name), JsonSerializer.SerializeToUtf8Bytes(stored, ManifestJson.Default.Manifest), (UnixFileMode)0x180);
    }

    public void DeleteManifest(Manifest m) => System.IO.File.Delete(ManifestPath(m.Path, m.Name));

    /// <summary>Stores a file's content, hashing while copying; returns the hash and whether the object is new.</summary>
    public (string Sha, bool Added) Store(Stream input, CancellationToken ct)
    {
        var temp = Path.Combine(Objects, $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            string sha;
            using (var output = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0x180, BufferSize = 0 }))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    hash.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            var target = ObjectPath(sha);
            if (System.IO.File.Exists(target)) { System.IO.File.Delete(temp); return (sha, false); }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!, (UnixFileMode)0x1C0);
            System.IO.File.Move(temp, target);
            return (sha, true);
        }
        finally
        {
            if (System.IO.File.Exists(temp)) System.IO.File.Delete(temp);
        }
    }

    /// <summary>Copies an object to <paramref name="destination"/>, verifying its hash on the way; false when it does not match.</summary>
    public bool CopyVerified(string sha, Stream output, CancellationToken ct)
    {
        var source = ObjectPath(sha);
        if (!System.IO.File.Exists(source))
            throw ReshError.Failed($"Object {sha} is missing from the snapshot store.", "Run verify; the snapshot cannot be restored completely.", new System.Text.Json.Nodes.JsonObject { ["object"] = sha }).ToException();
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, n);
            output.Write(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset()) == sha;
    }

    public static string HashFile(string path, CancellationToken ct)
    {
        using var input = FileTree.OpenRead(path);
        return HashStream(input, ct);
    }

    public static string HashStream(Stream input, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Deletes objects no manifest references; returns (count, bytes) freed.</summary>
    public (long Count, long Bytes) CollectGarbage() => Garbage(null, delete: true);

    /// <summary>
    /// The objects no manifest references once <paramref name="dropping"/> are gone (a dry run of a delete
    /// or prune counts what it would free), deleted when <paramref name="delete"/> is set.
    /// </summary>
    public (long Count, long Bytes) Garbage(IReadOnlyCollection<Manifest>? dropping, bool delete)
    {
        var gone = new HashSet<(string, string)>(dropping?.Select(m => (m.Path, m.Name)) ?? []);
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in All())
        {
            if (gone.Contains((m.Path, m.Name))) continue;
            foreach (var e in m.Entries)
                if (e.Sha256 is { } s) live.Add(s);
        }
        long count = 0, bytes = 0;
        foreach (var dir in Directory.EnumerateDirectories(Objects))
        {
            foreach (var obj in Directory.EnumerateFiles(dir))
            {
                if (live.Contains(Path.GetFileName(obj))) continue;
                bytes += new FileInfo(obj).Length;
                if (delete) System.IO.File.Delete(obj);
                count++;
            }
        }
        return (count, bytes);
    }

    public static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static long ToNs(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public static string Octal(uint perms) => "0" + Convert.ToString(perms & 0xFFF, 8).PadLeft(3, '0');

    public static uint ParseOctal(string mode) => Convert.ToUInt32(mode, 8);

    internal static FileStatus LStat(string path) => TreeWalker.Stat(path);
}
