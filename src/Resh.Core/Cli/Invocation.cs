using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Core.Cli;

/// <summary>One parsed call. Filled step by step, so an error envelope can name whatever was understood.</summary>
public sealed class Invocation
{
    public GlobalOptions Globals { get; } = new();
    public string StageText { get; set; } = "";
    public HandleInfo? Handle { get; set; }
    public VerbInfo? Verb { get; set; }
    public string RawTarget { get; set; } = "";
    public string Target { get; set; } = "";
    public BoundArgs? Args { get; set; }

    /// <summary>The envelope's <c>target</c>: the stage without verb and arguments.</summary>
    public string EnvelopeTarget => Handle is null || Handle.Hidden ? (Handle?.Hidden == true ? RawTarget : StageText) : $"{Handle.Scheme}://{RawTarget}";
    public string HandleName => Handle?.Scheme ?? "resh";
    public string VerbName => Verb?.Name ?? "";
}
