using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Log;

public static class LogWrite
{
    static readonly Arg<string?> Message = Arg.String("message", "The text to log (one line: line breaks and control characters are escaped, so a message cannot forge other lines).",
        required: true, aliases: ["msg"], examples: ["backup done"]);
    static readonly Arg<string?> Level = Arg.Enum("level", "Its level.", LogLevels.Choices, "info");
    static readonly Arg<string?> App = Arg.String("app", "The program name (syslog tag, journal SYSLOG_IDENTIFIER).", "resh", aliases: ["tag"]);
    static readonly Arg<string?> Format = Arg.Enum("format_out", "How the line is written to a file: syslog (RFC 3339 time, host, app[pid]: message, as rsyslog writes files), json, logfmt, or raw (the message alone).",
        ["syslog", "json", "logfmt", "raw"], "syslog");
    static readonly Arg<string?> Socket = Arg.String("socket", "The socket for log://syslog (default /dev/log) or log://journal (default /run/systemd/journal/socket).", path: PathUse.Write);
    static readonly Arg<string?> Facility = Arg.Enum("facility", "Syslog facility for log://syslog.", ["user", "daemon", "auth", "cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], "user");

    public static readonly VerbInfo Verb = VerbInfo.Define("write", Effect.Mutate,
        "Append one line to a log file, send it to syslog (/dev/log) or to the journal.",
        [Message, Level, App, Format, Socket, Facility], () => LogJson.Default.LogWriteResult, RunAsync,
        examples:
        [
            new("log:///var/log/deploy.log.write message='deploy 1.4 done' app=deploy", "Appends `2026-12-06T10:00:00.000000+00:00 HOST deploy[PID]: deploy 1.4 done`."),
            new("log://syslog.write message='backup failed' level=err app=backup", "To the local syslog daemon through /dev/log."),
            new("log://journal.write message='hello' level=warning", "To the journal (its native protocol)."),
        ],
        notes: "A file is opened with O_APPEND (one write(2) per line, so concurrent writers do not interleave) and created 0640 if missing. "
            + "A file path that is a symbolic link is refused: a link planted in a log directory must not redirect the write. "
            + "Line breaks, tabs and other control characters in message are written as \\n, \\t, \\xHH (JSON escapes them itself).",
        targetHelp: "A file (log:///var/log/app.log), log://syslog, or log://journal.");

    static async ValueTask<Outcome<LogWriteResult>> RunAsync(VerbContext ctx)
    {
        var message = ctx.Get(Message) ?? "";
        var level = LogLevels.Of(ctx.Get(Level) ?? "info") ?? 6;
        var app = ctx.Get(App) ?? "resh";
        if (app.Length == 0 || app.Length > 64 || app.Any(c => char.IsControl(c) || c is ' ' or '[' or ']' or ':'))
            return ReshError.Usage($"app= `{Escape(app)}` is not a program name.", "Use letters, digits, '.', '_' or '-' (at most 64).");
        var pid = Environment.ProcessId;
        var now = DateTimeOffset.Now;

        if (ctx.Target == "syslog")
        {
            var socket = ctx.Get(Socket) ?? "/dev/log";
            var facility = Array.IndexOf(FacilityCodes, ctx.Get(Facility) ?? "user");
            var line = $"<{FacilityNumbers[facility] * 8 + level}>{now.ToString("MMM", CultureInfo.InvariantCulture)} {now.Day,2} {now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {app}[{pid}]: {Escape(message)}";
            if (!ctx.DryRun) await SendAsync(socket, Encoding.UTF8.GetBytes(line), "syslog", ctx.Cancellation).ConfigureAwait(false);
            return Outcome.Changed(new LogWriteResult("syslog:" + socket, line, Encoding.UTF8.GetByteCount(line)));
        }
        if (ctx.Target == "journal")
        {
            var socket = ctx.Get(Socket) ?? "/run/systemd/journal/socket";
            var datagram = JournalDatagram(message, level, app);
            if (!ctx.DryRun) await SendAsync(socket, datagram, "journal", ctx.Cancellation).ConfigureAwait(false);
            return Outcome.Changed(new LogWriteResult("journal:" + socket, message, datagram.Length));
        }

        var source = LogSource.Of(ctx);
        if (source.Kind != LogSourceKind.File) return ReshError.Unsupported("write goes to a file, log://syslog or log://journal.", "Example: log:///var/log/app.log.write message=hello");
        var path = source.Path!;
        if (path.IndexOfAny(['*', '?', '[']) >= 0) return ReshError.Usage("write takes one file, not a glob.", "Name the file: log:///var/log/app.log.write");
        var text = (ctx.Get(Format) ?? "syslog") switch
        {
            "json" => Json(now, level, app, pid, message),
            "logfmt" => $"time={LogTime.Format(now)} level={LogLevels.Name(level)} app={app} pid={pid} msg=\"{Escape(message).Replace("\"", "\\\"")}\"",
            "raw" => Escape(message),
            _ => $"{now.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture)} {Environment.MachineName} {app}[{pid}]: {Escape(message)}",
        };
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        ResolveNoLinks(path).Dispose(); // a dry run refuses what the write would
        if (!ctx.DryRun)
        {
            using var handle = OpenForAppend(path);
            // O_APPEND: one write at the end, whole.
            RandomAccess.Write(handle, bytes, 0);
        }
        return Outcome.Changed(new LogWriteResult(source.Display, text, bytes.Length));
    }

    static readonly string[] FacilityCodes = ["user", "daemon", "auth", "cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"];
    static readonly int[] FacilityNumbers = [1, 3, 4, 9, 16, 17, 18, 19, 20, 21, 22, 23];

    /// <summary>
    /// The log's directory, opened without following a symlink anywhere in the path (s31 review: a planted directory link
    /// sent a write to /etc), and never under /proc or /sys, where a "log" is a kernel interface.
    /// </summary>
    public static ResolvedPath ResolveNoLinks(string path, string verb = "write")
    {
        var full = Path.GetFullPath(path);
        var display = Resh.Handles.Files.FilePaths.Display(full);
        var resolved = SafePath.Resolve(full, followFinal: false, out var failure);
        if (resolved is null)
            throw (failure.Errno switch
            {
                Posix.EACCES or Posix.EPERM => ReshError.PermissionDenied($"This user may not reach {display}.", "Run as the log's owner or root."),
                Posix.ENOENT or Posix.ENOTDIR => ReshError.NotFound($"The directory of {display} does not exist.", "Create it first: resh file://DIR.mkdir"),
                _ => ReshError.Failed($"Cannot reach {display}: {Posix.StrError(failure.Errno)}.", "Check the path."),
            }).ToException();
        if (resolved.ViaSymlink)
        {
            var real = resolved.FullPath;
            resolved.Dispose();
            throw ReshError.Usage($"{display} goes through a symbolic link (to {Resh.Handles.Files.FilePaths.Display(real)}); log {verb}s follow no links.",
                $"Use the real path, if you trust it: log://{real}.{verb}", new JsonObject { ["resolved"] = real }).ToException();
        }
        if (resolved.Directory is "/proc" or "/sys" || resolved.Directory.StartsWith("/proc/", StringComparison.Ordinal) || resolved.Directory.StartsWith("/sys/", StringComparison.Ordinal))
        {
            resolved.Dispose();
            throw ReshError.Usage($"{display} is a kernel interface under /proc or /sys, not a log file.", "Write logs to a regular file, log://syslog or log://journal.").ToException();
        }
        return resolved;
    }

    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenForAppend(string path)
    {
        using var dir = ResolveNoLinks(path);
        var h = Posix.OpenHandle(dir.DirFd, dir.Name, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_CLOEXEC | Posix.O_NOCTTY | Posix.O_NONBLOCK, 0x1A0, out var errno);
        if (h is not null)
        {
            if (Posix.FStat((int)h.DangerousGetHandle(), out _) is { IsRegular: false } st)
            {
                h.Dispose();
                throw ReshError.Usage($"{path} is a {st.TypeName}, not a log file.", "Write to a regular file.").ToException();
            }
            return h;
        }
        var display = Resh.Handles.Files.FilePaths.Display(path);
        throw errno switch
        {
            Posix.ELOOP => ReshError.Usage($"{display} is a symbolic link; log writes do not follow links.",
                $"Write to the file it points to, if you trust it: log://{Posix.ReadLink(path, out _) ?? "TARGET"}.write").ToException(),
            Posix.EACCES or Posix.EPERM => ReshError.PermissionDenied($"This user may not write {display}.", "Run as the log's owner or root.").ToException(),
            Posix.ENOENT or Posix.ENOTDIR => ReshError.NotFound($"The directory of {display} does not exist.", "Create it first: resh file://DIR.mkdir").ToException(),
            Posix.EISDIR => ReshError.Usage($"{display} is a directory.", "Name a file inside it.").ToException(),
            _ => ReshError.Failed($"Cannot open {display}: {Posix.StrError(errno)}.", "Check the path and the disk.").ToException(),
        };
    }

    static async Task SendAsync(string socketPath, byte[] datagram, string what, CancellationToken ct)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
            await s.SendAsync(datagram, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is not (SocketError.AccessDenied or SocketError.MessageSize))
        {
            throw ReshError.Unavailable($"Nothing listens on {socketPath} for {what}.", what == "syslog"
                ? "Start a syslog daemon (rsyslog), or give socket= of one; or write to a file: log:///var/log/NAME.log.write"
                : "Is systemd-journald running? Give socket= of its socket, or write to a file.").ToException();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw ReshError.PermissionDenied($"This user may not send to {socketPath}.", "Run as a user who may.").ToException();
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.MessageSize)
        {
            throw ReshError.Usage($"The message is too long for {what} ({datagram.Length} bytes).", "Send a shorter message, or write to a file.").ToException();
        }
    }

    /// <summary>The journal's native protocol: KEY=value lines, or KEY\n + 64-bit little-endian length + value for a value with a newline.</summary>
    static byte[] JournalDatagram(string message, int level, string app)
    {
        var ms = new MemoryStream();
        void Field(string key, string value)
        {
            var v = Encoding.UTF8.GetBytes(value);
            ms.Write(Encoding.ASCII.GetBytes(key));
            if (value.Contains('\n'))
            {
                ms.WriteByte((byte)'\n');
                Span<byte> len = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)v.Length);
                ms.Write(len);
            }
            else ms.WriteByte((byte)'=');
            ms.Write(v);
            ms.WriteByte((byte)'\n');
        }
        Field("MESSAGE", message);
        Field("PRIORITY", level.ToString(CultureInfo.InvariantCulture));
        Field("SYSLOG_IDENTIFIER", app);
        return ms.ToArray();
    }

    static string Json(DateTimeOffset now, int level, string app, int pid, string message)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", LogTime.Format(now));
            w.WriteString("level", LogLevels.Name(level));
            w.WriteString("app", app);
            w.WriteNumber("pid", pid);
            w.WriteString("msg", message);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Control characters as escapes (\n, \t, \xHH): a message stays one line and cannot carry terminal escapes.</summary>
    public static string Escape(string s)
    {
        if (!s.Any(char.IsControl)) return s;
        var sb = new StringBuilder(s.Length + 8);
        foreach (var c in s)
        {
            if (!char.IsControl(c)) { sb.Append(c); continue; }
            sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) });
        }
        return sb.ToString();
    }
}
