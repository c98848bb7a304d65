using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Config;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Core.Audit;

/// <summary>
/// The append-only audit trail in the state dir (SPEC §7): <c>audit/audit.jsonl</c>, one JSON record per line, each
/// carrying the SHA-256 of the line before it (<see cref="AuditRecord.Prev"/>), and <c>audit/audit.head</c>, the
/// sequence number and hash of the newest line, so a cut-off tail is detected too. Appends are serialised across
/// processes by a lock file; files are 0600 in a 0700 directory.
/// </summary>
public sealed class AuditTrail(ReshPaths paths, string surface, string identity)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    public string Surface { get; } = surface;
    public string Identity { get; } = identity;

    public static string LogPath(ReshPaths paths) => Path.Combine(paths.StateDir, "audit", "audit.jsonl");
    public static string HeadPath(ReshPaths paths) => Path.Combine(paths.StateDir, "audit", "audit.head");

    /// <summary>
    /// The identity of a local caller: the Unix account resh runs as, and the account that logged in when it differs
    /// (the kernel's audit login uid, which sudo and su do not change and a caller cannot set, unlike SUDO_USER).
    /// </summary>
    public static string LocalIdentity()
    {
        var uid = LibC.GetEUid();
        var name = Users.UserName(uid) ?? uid.ToString(CultureInfo.InvariantCulture);
        try
        {
            if (uint.TryParse(File.ReadAllText("/proc/self/loginuid").Trim(), out var login) && login != uint.MaxValue && login != uid)
                return $"unix:{name} (login {Users.UserName(login) ?? login.ToString(CultureInfo.InvariantCulture)})";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return $"unix:{name}";
    }

    /// <summary>Appends the record of one finished call. Returns null, or what the caller should be warned of.</summary>
    /// <param name="started">The sequence number of the call's started record, when one was written.</param>
    public string? Record(Invocation inv, Envelope env, long? started = null) => Append(new AuditRecord(0, "", Identity, Surface, env.Handle, env.Verb, env.Target, env.Host,
        AuditArgs.From(inv.Args), env.Ok, env.Ok ? "ok" : (env.Error?.Code ?? Errors.ErrorCode.Failed).ToWire(), env.Changed, env.DryRun,
        Math.Round(env.DurationMs, 3), "", Started: started, ActedOn: ActedOn(inv, env)), out _);

    /// <summary>
    /// Under a surface's path patterns: the kernel's names of what the call read, removed or wrote, when they differ from
    /// the paths it was given (a symlink on the way), so the record says what was acted on; null otherwise.
    /// </summary>
    static IReadOnlyList<string>? ActedOn(Invocation inv, Envelope env)
    {
        var acted = Platform.PathConfinement.Acted;
        if (acted.Count == 0) return null;
        var named = new HashSet<string>(StringComparer.Ordinal);
        var sep = env.Target.IndexOf("://", StringComparison.Ordinal);
        if (sep >= 0) named.Add(env.Target[(sep + 3)..]);
        if (inv.Args is not null)
            foreach (var (_, value) in inv.Args.Given)
                switch (value)
                {
                    case string t: named.Add(t); named.Add(t.TrimStart('@')); break;
                    case IEnumerable<string> list: foreach (var t in list) named.Add(t); break;
                }
        var differing = acted.Where(p => !named.Contains(p)).ToList();
        return differing.Count == 0 ? null : acted;
    }

    /// <summary>
    /// Appends the record of a call about to run (before it can change anything), so a process killed during the call
    /// still leaves who called what. Returns its sequence number, or null with what the caller should be warned of.
    /// </summary>
    public long? RecordStart(Invocation inv, out string? warning)
    {
        warning = Append(new AuditRecord(0, "", Identity, Surface, inv.HandleName, inv.Verb!.Name, inv.EnvelopeTarget, "",
            AuditArgs.From(inv.Args), false, AuditRecord.StartedPhase, false, false, 0, "", Phase: AuditRecord.StartedPhase), out var seq);
        return seq;
    }

    public string? Append(AuditRecord record) => Append(record, out _);

    string? Append(AuditRecord record, out long? seq)
    {
        seq = null;
        try
        {
            var dir = paths.StateSubdir("audit");
            CheckPrivate(paths.StateDir);
            CheckPrivate(dir);
            using var lockFile = FileLock.Open(Path.Combine(dir, "audit.lock"), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5), CancellationToken.None);
            var logPath = Path.Combine(dir, "audit.jsonl");
            using var log = new FileStream(logPath, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            string? warning = null;
            if (CutIncompleteTail(log))
                warning = "the audit log ended in an incomplete record (a write was cut short, e.g. by a full disk); it was cut back to the last complete record";
            var (lastSeq, prev) = LastLine(log);
            var full = record with
            {
                Seq = lastSeq + 1,
                Time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                Prev = prev,
            };
            var line = JsonSerializer.SerializeToUtf8Bytes(full, AuditJson.Default.AuditRecord);
            var bytes = new byte[line.Length + 1];
            line.CopyTo(bytes, 0);
            bytes[^1] = (byte)'\n';
            log.Seek(0, SeekOrigin.End);
            log.Write(bytes);
            log.Flush();
            WriteHead(Path.Combine(dir, "audit.head"), full.Seq, Hash(line));
            seq = full.Seq;
            return warning;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Errors.ReshException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "the audit record of this call was not written: " + (ex is Errors.ReshException r ? r.Error.Message : ex.Message);
        }
    }

    /// <summary>
    /// For a long-running surface (`resh agent`, `resh serve`) at its start: the audit trail can be kept in the state dir
    /// (made 0700 when missing), or a permission_denied error that says so. Without this check every call would run with
    /// its record lost and only a warning in each answer, which the service's own log never shows (s43 attacker F5).
    /// </summary>
    public static void RequireKept(ReshPaths paths, string surface)
    {
        try
        {
            if (Path.Exists(paths.StateDir)) CheckPrivate(paths.StateDir); // before making anything in another user's directory
            var dir = paths.StateSubdir("audit");
            CheckPrivate(paths.StateDir);
            CheckPrivate(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Errors.ReshException)
        {
            var why = ex is Errors.ReshException r ? r.Error.Message : ex.Message;
            throw Errors.ReshError.PermissionDenied($"resh {surface} keeps an audit trail of every call in its state directory {paths.StateDir}, and cannot: {why}",
                $"Give the state directory to the user resh {surface} runs as (chown, chmod 700), or set RESH_HOME to a directory of that user's.",
                new System.Text.Json.Nodes.JsonObject { ["state_dir"] = paths.StateDir }).ToException();
        }
    }

    /// <summary>
    /// The state dir and its audit dir must be real directories of this user that no one else may write: otherwise
    /// another user could plant a link where the log or head is written (and root would write through it).
    /// </summary>
    static void CheckPrivate(string dir)
    {
        var st = Posix.Stat(dir, follow: false, out _);
        if (st is not { } s || !s.IsDirectory || s.Uid != LibC.GetEUid() || (s.Permissions & 0x12) != 0) // group or others may write (0o022)
            throw Errors.ReshError.PermissionDenied($"{dir} is not a directory of this user that only it may write, so the audit trail is not kept there.",
                "Set RESH_HOME to a directory you own (mode 0700).").ToException();
    }

    /// <summary>A log that does not end in a newline holds a record whose write was cut short: it goes, so the chain can go on.</summary>
    static bool CutIncompleteTail(FileStream log)
    {
        var length = log.Length;
        if (length == 0) return false;
        var one = new byte[1];
        log.Seek(length - 1, SeekOrigin.Begin);
        log.ReadExactly(one);
        if (one[0] == (byte)'\n') return false;
        var keep = LineStart(log, length);
        log.SetLength(keep);
        return true;
    }

    public static string Hash(ReadOnlySpan<byte> line) => Convert.ToHexStringLower(SHA256.HashData(line));

    /// <summary>The sequence number and hash of the last line (0 and <see cref="Genesis"/> for an empty log).</summary>
    static (long Seq, string Hash) LastLine(FileStream log)
    {
        var length = log.Length;
        if (length == 0) return (0, Genesis);
        long end = length - 1, start = LineStart(log, end);
        var line = new byte[end - start];
        log.Seek(start, SeekOrigin.Begin);
        log.ReadExactly(line);
        using var doc = JsonDocument.Parse(line);
        return (doc.RootElement.GetProperty("seq").GetInt64(), Hash(line));
    }

    /// <summary>Where the line that ends at <paramref name="end"/> begins: just after the newline before it, read backwards a block at a time (a line may be long).</summary>
    static long LineStart(FileStream log, long end)
    {
        var buffer = new byte[64 * 1024];
        var scan = end;
        while (scan > 0)
        {
            var n = (int)Math.Min(buffer.Length, scan);
            var from = scan - n;
            log.Seek(from, SeekOrigin.Begin);
            log.ReadExactly(buffer.AsSpan(0, n));
            var nl = buffer.AsSpan(0, n).LastIndexOf((byte)'\n');
            if (nl >= 0) return from + nl + 1;
            scan = from;
        }
        return 0;
    }

    static void WriteHead(string path, long seq, string hash)
    {
        // Always the same length (padded with spaces, which JSON allows), so rewriting it in place never leaves a stale tail.
        var json = $"{{\"seq\":{seq.ToString(CultureInfo.InvariantCulture)},\"hash\":\"{hash}\"}}";
        var text = Encoding.ASCII.GetBytes(json.PadRight(120) + "\n");
        using var head = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        RandomAccess.Write(head.SafeFileHandle, text, 0);
        head.SetLength(text.Length);
    }
}
