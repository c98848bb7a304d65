using Resh.Core.Errors;
using Resh.Core.Output;
using Resh.Core.Values;

namespace Resh.Core.Cli;

/// <summary>One global flag: its spelling, whether it takes a value, what it does. Help is generated from this table.</summary>
public sealed record GlobalFlag(string Name, string? ValueName, string Description, Action<GlobalOptions, string?> Apply, string? Short = null);

public static class GlobalFlags
{
    /// <summary>The longest --timeout: a timer's bound (int.MaxValue milliseconds), in whole days.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(24);

    public static readonly IReadOnlyList<GlobalFlag> All =
    [
        new("format", "FORMAT", "Output format: auto, json, json-pretty, ndjson, table, yaml, raw (auto = table on a terminal, json otherwise).", (o, v) =>
        {
            if (!OutputFormats.TryParse(v!, out var f))
                throw ReshError.Usage($"`{v}` is not an output format.", Text.Suggest.Hint(v!, OutputFormats.Names) ?? $"One of: {string.Join(", ", OutputFormats.Names)}.").ToException();
            o.Format = f;
            o.FormatGiven = true;
        }),
        new("json-pretty", null, "Same as --format json-pretty.", (o, _) => { o.Format = OutputFormat.JsonPretty; o.FormatGiven = true; }),
        new("dry-run", null, "Change nothing; report what would change (changed, and a diff where one makes sense).", (o, _) => o.DryRun = true),
        new("timeout", "DURATION", "Give up after this long and answer `timeout` (e.g. 500ms, 30s, 5m).", (o, v) =>
        {
            if (!DurationValue.TryParse(v!, out var t) || t <= TimeSpan.Zero)
                throw ReshError.Usage($"--timeout expects a positive duration, got `{v}`.", "Examples: 500ms, 30s, 5m.").ToException();
            if (t > MaxTimeout) // timers take at most ~24.8 days
                throw ReshError.Usage($"--timeout {v} is longer than resh can wait ({(int)MaxTimeout.TotalDays} days).", "Leave --timeout out to wait as long as the verb takes.").ToException();
            o.Timeout = t;
        }),
        new("quiet", null, "Print nothing on success; errors go to stderr as one line. The exit status tells the outcome.", (o, _) => o.Quiet = true, "q"),
        new("verbose", null, "Log what resh does (resolution, backend commands, timings) to stderr.", (o, _) => o.Verbose = true, "v"),
        new("no-color", null, "Never colour table output (also when NO_COLOR is set or stdout is not a terminal).", (o, _) => o.NoColor = true),
        new("config", "PATH", "Read this TOML config file instead of $RESH_CONFIG, ~/.config/resh/config.toml or /etc/resh/config.toml.", (o, v) => o.ConfigPath = v),
        new("forks", "N", "Hosts run in parallel in a fleet call (default 20).", (o, v) =>
        {
            if (!int.TryParse(v, out var n) || n < 1 || n > 1000)
                throw ReshError.Usage($"--forks expects a number from 1 to 1000, got `{v}`.", null).ToException();
            o.Forks = n;
        }),
        new("retry", "N", "Run the call again, up to N times (0-10), when it fails with a transient error (connection refused or reset, a timeout, 429/503, a lock held); a mutating verb only when nothing reached the backend. Waits --retry-delay, doubling, with jitter.", (o, v) =>
            o.Retry = ParseRetries("--retry", v)),
        new("retry-delay", "DURATION", "The wait before the first --retry (default 200ms); it doubles each time, randomised (full jitter), up to --retry-max-delay.", (o, v) =>
            o.RetryDelay = ParseRetryDuration("--retry-delay", v)),
        new("retry-max-delay", "DURATION", "The longest wait between --retry attempts (default 10s); a server's Retry-After is honoured up to it.", (o, v) =>
            o.RetryMaxDelay = ParseRetryDuration("--retry-max-delay", v)),
        new("columns", "LIST", "Table view: show only these fields, in this order (e.g. pid,name,rss); a unit suffix may be left out (rss for rss_bytes).", (o, v) =>
        {
            var names = (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw ReshError.Usage("--columns needs at least one field name.", "Example: --columns pid,name,rss").ToException();
            o.Columns = names;
        }),
        new("become", null, "Run as another user (--become-user, default root) through --become-method (sudo, su or doas), as Ansible's become: locally, resh runs itself again as that user; ssh:// verbs take it per host.",
            (o, _) => o.Become = true),
        new("become-user", "USER", "The user --become runs as (default root).", (o, v) =>
        {
            if (string.IsNullOrEmpty(v) || v[0] == '-' || !v.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                throw ReshError.Usage($"--become-user expects a user name, got `{v}`.", "Example: --become-user postgres").ToException();
            o.BecomeUser = v;
        }),
        new("become-method", "METHOD", "How --become switches user: sudo (default), su or doas.", (o, v) =>
        {
            if (v is not ("sudo" or "su" or "doas"))
                throw ReshError.Usage($"--become-method expects sudo, su or doas, got `{v}`.", Text.Suggest.Hint(v ?? "", ["sudo", "su", "doas"]) ?? "One of: sudo, su, doas.").ToException();
            o.BecomeMethod = v;
        }),
        new("become-password", "SOURCE", "sudo's password for --become, as a secret: secret:NAME, env:VAR or file:PATH (never the password itself on the command line).",
            (o, v) => o.BecomePassword = v),
        new("args", "JSON", "All verb arguments as one JSON object; `--args -` reads it from stdin.", (o, v) => o.ArgsJson = v),
        new("version", null, "Print the version and build.", (o, _) => o.Version = true),
        new("help", null, "Show help (also `resh help [HANDLE[.VERB]]`).", (o, _) => o.Help = true, "h"),
        new("list-schemas", null, "Print the argument and result JSON Schema of every verb of every handle.", (o, _) => o.ListSchemas = true),
    ];

    /// <summary>A --retry count (also [defaults] retry and a batch line's "retry").</summary>
    public static int ParseRetries(string what, string? v)
    {
        if (!int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n > Execution.RetryPolicy.MaxRetries)
            throw ReshError.Usage($"{what} expects a number from 0 to {Execution.RetryPolicy.MaxRetries}, got `{v}`.", $"Example: {what} 3").ToException();
        return n;
    }

    /// <summary>A --retry-delay or --retry-max-delay: a duration from 0 up to 10 minutes.</summary>
    public static TimeSpan ParseRetryDuration(string what, string? v)
    {
        if (!DurationValue.TryParse(v ?? "", out var t) || t < TimeSpan.Zero || t > TimeSpan.FromMinutes(10))
            throw ReshError.Usage($"{what} expects a duration from 0 to 10m, got `{v}`.", $"Examples: {what} 200ms, {what} 2s.").ToException();
        return t;
    }

    public static GlobalFlag? Find(string name)
    {
        foreach (var f in All) if (f.Name == name) return f;
        return null;
    }

    public static GlobalFlag? FindShort(string s)
    {
        foreach (var f in All) if (f.Short == s) return f;
        return null;
    }

    public static IEnumerable<string> Names => All.Select(f => f.Name);
}
