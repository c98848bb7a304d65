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
    /// <summary>The sequence number of this call's started record in the audit trail, once one was written.</summary>
    public long? AuditStarted { get; set; }

    public string EnvelopeTarget => Handle is null || Handle.Hidden ? (Handle?.Hidden == true ? RawTarget : StageText) : $"{Handle.Scheme}://{WithoutPassword(RawTarget)}";

    /// <summary>
    /// A target as the envelope shows it: a password written into the authority (`user:PASSWORD@host`) is `***`
    /// (SPEC §8: no secret in `target`, even of a call that refuses it).
    /// </summary>
    public static string WithoutPassword(string target) =>
        Secrets.CredentialText.AuthorityPassword(target) is { } p ? target[..p.Start] + Secrets.SecretRedactor.Mask + target[(p.Start + p.Length)..] : target;
    public string HandleName => Handle?.Scheme ?? "resh";
    public string VerbName => Verb?.Name ?? "";
}
