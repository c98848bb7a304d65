using System.Text;

namespace Resh.Core.Introspection;

/// <summary>man(7) pages rendered from the same documentation model as help and docs/handles.</summary>
public static class ManPage
{
    public static string Overview(IReadOnlyList<HandleSummary> handles, IReadOnlyList<CommandDoc> commands, IReadOnlyList<FlagDoc> flags, string version)
    {
        var sb = Header("RESH", "1", version);
        sb.AppendLine(".SH NAME").AppendLine(@"resh \- operate resources named by URIs; every answer is one JSON envelope");
        sb.AppendLine(".SH SYNOPSIS");
        sb.AppendLine(@".B resh").AppendLine(@"[\fIFLAGS\fR] \fISCHEME\fB://\fITARGET\fB.\fIVERB\fR[\fB(\fIkey\fB=\fIvalue\fR,...\fB)\fR] [\fIARG\fR ...]");
        sb.AppendLine(".br").AppendLine(@".B resh").AppendLine(@"\fICOMMAND\fR [\fIARGS\fR]");
        sb.AppendLine(".SH DESCRIPTION");
        sb.AppendLine("Every resource is a URI, every operation a verb of its handle, and every answer one typed JSON envelope with a stable error code. See the handle pages for verbs and arguments.");
        sb.AppendLine(".SH HANDLES");
        foreach (var h in handles) sb.AppendLine(".TP").AppendLine($@"\fB{Esc(h.Scheme)}://\fR").AppendLine(Esc(h.Summary) + $" See \\fBresh-{Esc(h.Scheme)}\\fR(1).");
        sb.AppendLine(".SH COMMANDS");
        foreach (var c in commands) sb.AppendLine(".TP").AppendLine($@"\fB{Esc(c.Name)}\fR").AppendLine(Esc(c.Summary));
        sb.AppendLine(".SH OPTIONS");
        foreach (var f in flags)
            sb.AppendLine(".TP").AppendLine((f.Short is null ? "" : $@"\fB\-{f.Short}\fR, ") + $@"\fB\-\-{Esc(f.Name)}\fR" + (f.Value is null ? "" : $@" \fI{Esc(f.Value)}\fR")).AppendLine(Esc(f.Description));
        sb.AppendLine(".SH EXIT STATUS");
        foreach (var (code, name) in new[] { ("0", "ok"), ("1", "failed"), ("2", "usage"), ("3", "not_found"), ("4", "permission_denied"), ("5", "conflict"), ("6", "timeout"), ("7", "unavailable"), ("8", "unsupported"), ("9", "partial"), ("130", "interrupted") })
            sb.AppendLine(".TP").AppendLine($@"\fB{code}\fR").AppendLine(name);
        sb.AppendLine(".SH FILES");
        sb.AppendLine(@"\fI$RESH_CONFIG\fR, \fI~/.config/resh/config.toml\fR, \fI/etc/resh/config.toml\fR (configuration); \fI$RESH_HOME\fR or \fI~/.local/share/resh\fR (state).");
        return sb.ToString();
    }

    public static string Handle(HandleDoc h, string version)
    {
        var sb = Header("RESH-" + h.Scheme.ToUpperInvariant(), "1", version);
        sb.AppendLine(".SH NAME").AppendLine($@"resh\-{Esc(h.Scheme)} \- {Esc(h.Summary)}");
        sb.AppendLine(".SH SYNOPSIS").AppendLine($@".B resh").AppendLine($@"\fB{Esc(h.Scheme)}://\fITARGET\fB.\fIVERB\fR [\fIARG\fR ...]");
        sb.AppendLine(".SH TARGET").AppendLine(Esc(h.Target));
        if (h.Notes is not null) sb.AppendLine(".SH DESCRIPTION").AppendLine(Esc(h.Notes));
        sb.AppendLine(".SH VERBS");
        foreach (var v in h.Verbs)
        {
            sb.AppendLine($".SS {Esc(v.Name)}").AppendLine(Esc(v.Summary) + $" ({v.Effect}" + (v.Effect == "read" ? ")" : @"; honours \-\-dry\-run)"));
            foreach (var a in v.Args)
            {
                var head = $@"\fB{Esc(a.Name)}\fR=\fI{Esc(a.Type)}\fR";
                var extra = a.Required ? " Required." : a.Default is null ? "" : $" Default: {Esc(HelpText.DefaultText(a.Default))}.";
                if (a.Choices is { Count: > 0 } c) extra += $" One of: {Esc(string.Join(", ", c))}.";
                sb.AppendLine(".TP").AppendLine(head).AppendLine(Esc(a.Description) + extra);
            }
            foreach (var e in v.Examples) sb.AppendLine(".PP").AppendLine(".nf").AppendLine($@"\fBresh {Esc(e.Command)}\fR").AppendLine(".fi").AppendLine(Esc(e.Description));
        }
        sb.AppendLine(".SH SEE ALSO").AppendLine(@"\fBresh\fR(1)");
        return sb.ToString();
    }

    static StringBuilder Header(string title, string section, string version) =>
        new StringBuilder().AppendLine($".TH {title} {section} \"\" \"resh {Esc(version)}\" \"resh manual\"");

    /// <summary>Escapes text for roff: backslashes, leading dots and quotes, hyphens.</summary>
    static string Esc(string s)
    {
        var t = s.Replace(@"\", @"\e").Replace("-", @"\-").ReplaceLineEndings(" ");
        return t.StartsWith('.') || t.StartsWith('\'') ? @"\&" + t : t;
    }
}
