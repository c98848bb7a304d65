using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;

namespace Resh.Handles.User;

public static class UserSudoGrant
{
    static readonly Arg<IReadOnlyList<string>> Commands = Arg.List("commands", "Commands allowed (absolute paths, with arguments); default ALL.",
        examples: ["/usr/bin/systemctl restart nginx"]);
    static readonly Arg<string?> RunAs = Arg.String("runas", "Whom the commands may run as: a user name, or ALL.", "ALL", examples: ["postgres"]);
    static readonly Arg<bool> NoPassword = Arg.Bool("nopasswd", "No password prompt (NOPASSWD:).");

    public static readonly VerbInfo Verb = VerbInfo.Define("sudo.grant", Effect.Mutate,
        "Let a user (or user://group/NAME) use sudo: one drop-in in /etc/sudoers.d, checked with visudo -cf, installed atomically.",
        [Commands, RunAs, NoPassword, UserRoot.Arg], () => UserJson.Default.SudoResult, RunAsync,
        examples:
        [
            new("user://deploy.sudo.grant", "deploy may run anything as anyone, with its password."),
            new("'user://deploy.sudo.grant(commands=/usr/bin/systemctl restart nginx,nopasswd=true)'", "One command, no password."),
            new("user://group/ops.sudo.grant nopasswd=true", "The ops group (%ops)."),
        ],
        notes: "The drop-in is /etc/sudoers.d/resh-NAME (resh-group-NAME for a group; dots become '_' because sudo skips names with dots), mode 0440. "
            + "Granting again with the same rule is `changed: false`; a different rule replaces the file. A rule visudo rejects is a `usage` error and nothing is installed.");

    static ValueTask<Outcome<SudoResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var (principal, isGroup) = SudoTarget.Of(call);
        var runAs = ctx.Get(RunAs)!;
        if (runAs != "ALL") AccountNames.Check(runAs, "runas user");
        var rule = SudoersDropIn.Rule(principal, isGroup, runAs, ctx.Get(NoPassword), ctx.Get(Commands));
        var name = SudoersDropIn.FileName(principal, isGroup);
        var path = Path.Combine(call.Root.SudoersD, name);
        var who = isGroup ? "%" + principal : principal;
        var content = SudoersDropIn.Content(isGroup ? $"user://group/{principal}" : $"user://{principal}", rule);
        using var dir = SudoersDropIn.OpenDir(call.Root, create: !ctx.DryRun);
        var old = dir is null ? null : SudoersDropIn.Read(dir, name);
        if (old is not null && SudoersDropIn.PrincipalOf(old) is { } holder && holder != who)
            return ValueTask.FromResult<Outcome<SudoResult>>(ReshError.Conflict($"{path} holds the rule of {holder}, not {who}; resh does not overwrite it.",
                "Rename one of the accounts, or remove the other grant first.", new System.Text.Json.Nodes.JsonObject { ["holder"] = holder }));
        if (!SudoersDropIn.Included(call.Root)) ctx.Warn($"{call.Root.Sudoers} has no @includedir /etc/sudoers.d: sudo will not read the drop-in.");
        if (old == content) return ValueTask.FromResult<Outcome<SudoResult>>(new SudoResult(who, path, rule, null));
        var diff = Diff.Unified(old, content, path);
        if (!ctx.DryRun) SudoersDropIn.Install(dir!, name, content, ctx.Cancellation);
        return ValueTask.FromResult(Outcome.Changed(new SudoResult(isGroup ? "%" + principal : principal, path, rule, diff)));
    }
}

public static class UserSudoRevoke
{
    public static readonly VerbInfo Verb = VerbInfo.Define("sudo.revoke", Effect.Mutate,
        "Remove the sudo drop-in resh installed for a user (or user://group/NAME); none is `changed: false`.",
        [UserRoot.Arg], () => UserJson.Default.SudoResult, Run,
        examples: [new("user://deploy.sudo.revoke", "deploy loses what sudo.grant gave it.")],
        notes: "Only resh's own drop-in is removed; rules elsewhere in /etc/sudoers or other drop-ins stay (and are not reported).");

    static Outcome<SudoResult> Run(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var (principal, isGroup) = SudoTarget.Of(call);
        var name = SudoersDropIn.FileName(principal, isGroup);
        var path = Path.Combine(call.Root.SudoersD, name);
        var who = isGroup ? "%" + principal : principal;
        using var dir = SudoersDropIn.OpenDir(call.Root, create: false);
        var old = dir is null ? null : SudoersDropIn.Read(dir, name);
        if (old is null) return new SudoResult(who, path, null, null);
        if (SudoersDropIn.PrincipalOf(old) is { } holder && holder != who)
        {
            ctx.Warn($"{path} holds the rule of {holder}, not {who}: left in place.");
            return new SudoResult(who, path, null, null);
        }
        var diff = Diff.Unified(old, "", path);
        if (!ctx.DryRun) SudoersDropIn.Remove(dir!, name);
        return Outcome.Changed(new SudoResult(who, path, null, diff));
    }
}

static class SudoTarget
{
    public static (string Principal, bool IsGroup) Of(UserCall call)
    {
        if (call.Ctx.Target.StartsWith("group/", StringComparison.Ordinal))
        {
            var g = call.GroupName();
            call.ExistingGroup(g);
            return (g, true);
        }
        var u = call.UserName();
        if (call.Ctx.Verb.Name == "sudo.grant") call.ExistingUser(u);
        return (u, false);
    }
}
