using Resh.Core.Output;

namespace Resh.Core.Cli;

/// <summary>The global flags of SPEC §1.</summary>
public sealed class GlobalOptions
{
    public OutputFormat Format { get; set; } = OutputFormat.Auto;
    public bool FormatGiven { get; set; }
    public bool DryRun { get; set; }
    public TimeSpan? Timeout { get; set; }
    public bool Quiet { get; set; }
    public bool Verbose { get; set; }
    public bool NoColor { get; set; }
    public string? ConfigPath { get; set; }
    public bool Version { get; set; }
    public bool Help { get; set; }
    public bool ListSchemas { get; set; }
    public int? Forks { get; set; }
    /// <summary>--retry N: re-run a call whose error is transient up to N more times (see <see cref="Execution.RetryPolicy"/>).</summary>
    public int? Retry { get; set; }
    public TimeSpan? RetryDelay { get; set; }
    public TimeSpan? RetryMaxDelay { get; set; }
    public Execution.RetryPolicy? RetryPolicy => Execution.RetryPolicy.From(Retry, RetryDelay, RetryMaxDelay);
    /// <summary>--become: run as another user (sudo by default, root by default), as Ansible's become.</summary>
    public bool Become { get; set; }
    public string? BecomeUser { get; set; }
    public string? BecomeMethod { get; set; }
    /// <summary>The --become-password source as written (secret:NAME, env:VAR, file:PATH); resolved only when become runs.</summary>
    public string? BecomePassword { get; set; }
    /// <summary>All verb arguments as one JSON object (<c>--args JSON</c> or <c>--args -</c>).</summary>
    public string? ArgsJson { get; set; }
    /// <summary>Fields shown as table columns (<c>--columns pid,name,rss</c>).</summary>
    public IReadOnlyList<string>? Columns { get; set; }
}
