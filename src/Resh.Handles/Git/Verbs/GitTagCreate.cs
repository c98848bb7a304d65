using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Git;

public static class GitTagCreate
{
    internal static readonly Arg<string?> Name = Arg.String("name", "The tag name.", required: true);
    static readonly Arg<string?> Ref = Arg.String("ref", "The commit to tag: a branch, tag or commit.", "HEAD");
    static readonly Arg<string?> Message = Arg.String("message", "Make an annotated tag with this message (else a lightweight tag).", aliases: ["m"]);
    static readonly Arg<bool> Force = Arg.Bool("force", "Move an existing tag of that name.");

    public static readonly VerbInfo Verb = VerbInfo.Define("tag.create", Effect.Mutate,
        "Create a tag; the same tag on the same commit is `changed: false`.",
        [Name, Ref, Message, Force], () => GitJson.Default.GitRefChangeResult, RunAsync,
        examples: [new("git:///srv/app.tag.create name=v1.2.0 message='Release 1.2.0'", "An annotated tag at HEAD."), new("git:///srv/app.tag.create name=deployed ref=main force=true", "Move a lightweight tag.")],
        notes: "A tag that exists on another commit is `conflict` unless force=true. Annotated tags need an identity (user.name/user.email).");

    static async ValueTask<Outcome<GitRefChangeResult>> RunAsync(VerbContext ctx)
    {
        var path = GitTarget.Existing(ctx);
        var name = GitRefs.Name(ctx.Get(Name), "tag");
        var rev = GitRefs.Rev(ctx.Get(Ref)!, "ref");
        var target = await Git.CommitAsync(ctx, path, rev).ConfigureAwait(false);
        var existing = await Git.ResolveAsync(ctx, path, "refs/tags/" + name).ConfigureAwait(false);
        if (existing == target) return new GitRefChangeResult(path, "tag", name, existing, target);
        if (existing is not null && !ctx.Get(Force))
            return ReshError.Conflict($"The tag {name} exists on {existing[..12]}, not on {rev}.", "Pass force=true to move it (others who fetched it keep the old one).",
                new System.Text.Json.Nodes.JsonObject { ["current"] = existing, ["wanted"] = target });
        if (ctx.DryRun) return Outcome.Changed(new GitRefChangeResult(path, "tag", name, existing, target));
        var args = new List<string> { "tag" };
        if (existing is not null) args.Add("--force");
        byte[]? stdin = null;
        if (ctx.Get(Message) is { } message) { args.Add("--annotate"); args.Add("--file=-"); stdin = Encoding.UTF8.GetBytes(message); }
        args.Add("--");
        args.Add(name);
        args.Add(target);
        await Git.CheckedAsync(ctx, path, args, new GitOptions { Stdin = stdin }).ConfigureAwait(false);
        return Outcome.Changed(new GitRefChangeResult(path, "tag", name, existing, target));
    }
}
