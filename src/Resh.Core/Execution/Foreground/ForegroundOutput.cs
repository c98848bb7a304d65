using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Output;
using Resh.Core.Platform;

namespace Resh.Core.Execution.Foreground;

/// <summary>
/// Where a foreground program's output goes as it comes, by the call's format (secret.exec, lock.run): resh's own
/// descriptors for raw and table, one ndjson event per line for ndjson (not in <c>resh batch</c>, which keeps one envelope
/// per request), and nowhere for json and yaml, whose envelope keeps the tail. Standard input passes through when resh
/// has it as a stream: not in batch mode, where it carries the requests, nor when an argument already took it.
/// </summary>
public sealed record ForegroundOutput(bool Streamed, bool InheritStdin, OutputSink? OnStdout, OutputSink? OnStderr)
{
    public static ForegroundOutput For(VerbContext ctx, string purpose)
    {
        bool inheritStdin;
        try { inheritStdin = ctx.Runtime.Stdin.OpenStream(purpose) is not null; }
        catch (ReshException) { inheritStdin = false; }
        if (ctx.Format is OutputFormat.Raw or OutputFormat.Table)
        {
            var fd1 = new FdStream(1, write: true);
            var fd2 = new FdStream(2, write: true);
            return new(true, inheritStdin, b => { if (!b.IsEmpty) fd1.Write(b); }, b => { if (!b.IsEmpty) fd2.Write(b); });
        }
        if (ctx.Format == OutputFormat.Ndjson && inheritStdin)
            return new(true, inheritStdin, LineEvents(ctx, "stdout"), LineEvents(ctx, "stderr"));
        return new(false, inheritStdin, null, null);
    }

    /// <summary>One ndjson event per line of a stream (a last line without a line end is sent when the stream ends).</summary>
    static OutputSink LineEvents(VerbContext ctx, string stream)
    {
        var line = new List<byte>();
        void Send()
        {
            ctx.Events.Emit(stream, new JsonObject { ["line"] = System.Text.Encoding.UTF8.GetString(line.ToArray()) });
            line.Clear();
        }
        return b =>
        {
            if (b.IsEmpty) { if (line.Count > 0) Send(); return; }
            foreach (var c in b)
            {
                if (c == (byte)'\n') { Send(); continue; }
                line.Add(c);
                if (line.Count >= 64 * 1024) Send();
            }
        };
    }
}
