using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;

namespace Resh.Handles.User;

public static class UserKeysList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("keys.list", Effect.Read,
        "The public keys that may log in as a user (~/.ssh/authorized_keys): type, fingerprint, comment, options.",
        [UserRoot.Arg], () => UserJson.Default.KeysListResult, Run,
        examples: [new("user://deploy.keys.list", "deploy's authorized keys.")]);

    static Outcome<KeysListResult> Run(VerbContext ctx)
    {
        var call = UserCall.Open(ctx);
        var u = call.ExistingUser(call.UserName());
        var path = AuthorizedKeysFile.PathOf(call, u);
        var (exists, content) = AuthorizedKeysFile.Read(call, u);
        var keys = AuthorizedKeysFile.Parse(content).Select(k => k.Entry).ToList();
        return new KeysListResult(u.Name, path, exists, keys.Count, keys);
    }
}

public static class UserKeyAdd
{
    static readonly Arg<string?> Key = Arg.String("key", "The public key line (type base64 [comment]); key=@id_ed25519.pub reads a file.", required: true,
        examples: ["@id_ed25519.pub"]);
    static readonly Arg<string?> Options = Arg.String("options", "authorized_keys options for this key.", examples: ["from=\"10.0.0.0/8\",no-agent-forwarding"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("key.add", Effect.Mutate,
        "Let a public key log in as the user: append it to ~/.ssh/authorized_keys unless present (owner and modes set right).",
        [Key, Options, UserRoot.Arg], () => UserJson.Default.KeyChangeResult, Run,
        examples: [new("user://deploy.key.add key=@id_ed25519.pub", "Idempotent: a second run is unchanged.")],
        notes: "A key counts as present when type and base64 blob match, whatever its comment. When options differ, the line is replaced. "
            + "~/.ssh is created 0700 and the file written 0600, both owned by the user; a symlinked ~/.ssh or authorized_keys is refused.");

    static Outcome<KeyChangeResult> Run(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var u = call.ExistingUser(call.UserName());
        var text = ctx.Get(Key)!.Trim();
        if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
            return ReshError.Usage("That is a private key; key.add takes the public half (the .pub file).", "Pass key=@~/.ssh/id_ed25519.pub.");
        var options = ctx.Get(Options);
        if (options is not null && (options.Contains('\n') || options.Contains('\r'))) return ReshError.Usage("options must be one line.", null);
        var parsed = text.Contains('\n') ? null : AuthorizedKeysFile.ParseLine(text);
        if (parsed is null) return ReshError.Usage("key is not one public key line (type base64 [comment]).", "Example: key=@~/.ssh/id_ed25519.pub");
        var line = options is null ? text : $"{options} {text[text.IndexOf(parsed.Type, StringComparison.Ordinal)..]}";
        parsed = AuthorizedKeysFile.ParseLine(line)!;
        var path = AuthorizedKeysFile.PathOf(call, u);
        var (_, content) = AuthorizedKeysFile.Read(call, u);
        var keys = AuthorizedKeysFile.Parse(content);
        var same = keys.FirstOrDefault(k => k.Type == parsed.Type && k.Blob == parsed.Blob);
        if (same is not null && (options is null || same.Options == options))
            return new KeyChangeResult(u.Name, path, [same.Entry], keys.Count, null);
        string updated;
        if (same is not null)
        {
            var lines = content.Split('\n');
            lines[same.Number - 1] = line;
            updated = string.Join('\n', lines);
        }
        else
        {
            var sb = new StringBuilder(content);
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
            updated = sb.Append(line).Append('\n').ToString();
        }
        var diff = Diff.Unified(content, updated, path);
        if (!ctx.DryRun) AuthorizedKeysFile.Write(call, u, updated);
        return Outcome.Changed(new KeyChangeResult(u.Name, path, [parsed.Entry], AuthorizedKeysFile.Parse(updated).Count, diff));
    }
}

public static class UserKeyRemove
{
    static readonly Arg<string?> Key = Arg.String("key", "The public key to remove (line or key=@file.pub).", examples: ["@id_ed25519.pub"]);
    static readonly Arg<string?> Fingerprint = Arg.String("fingerprint", "Remove the key with this SHA256 fingerprint.", examples: ["SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"]);
    static readonly Arg<string?> Comment = Arg.String("comment", "Remove every key with exactly this comment.", examples: ["old-laptop"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("key.remove", Effect.Mutate,
        "Stop a public key from logging in as the user (by key, fingerprint or comment); absent is `changed: false`.",
        [Key, Fingerprint, Comment, UserRoot.Arg], () => UserJson.Default.KeyChangeResult, Run,
        examples: [new("user://deploy.key.remove comment=old-laptop", "Remove the key labelled old-laptop.")],
        notes: "Every other line (comments, blank lines, other keys) stays byte for byte.");

    static Outcome<KeyChangeResult> Run(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var u = call.ExistingUser(call.UserName());
        var given = new[] { ctx.Get(Key), ctx.Get(Fingerprint), ctx.Get(Comment) }.Count(v => v is not null);
        if (given != 1) return ReshError.Usage("Give exactly one of key=, fingerprint= or comment=.", "Example: user://deploy.key.remove comment=old-laptop");
        AuthorizedKeysFile.KeyLine? wanted = null;
        if (ctx.Get(Key) is { } k)
        {
            wanted = AuthorizedKeysFile.ParseLine(k.Trim());
            if (wanted is null) return ReshError.Usage("key is not a public key line.", "Example: key=@~/.ssh/id_ed25519.pub");
        }
        var path = AuthorizedKeysFile.PathOf(call, u);
        var (_, content) = AuthorizedKeysFile.Read(call, u);
        var keys = AuthorizedKeysFile.Parse(content);
        var fp = ctx.Get(Fingerprint);
        var comment = ctx.Get(Comment);
        var drop = keys.Where(x => wanted is not null ? x.Type == wanted.Type && x.Blob == wanted.Blob
            : fp is not null ? x.Entry.Fingerprint == fp : x.Comment == comment).ToList();
        if (drop.Count == 0) return new KeyChangeResult(u.Name, path, [], keys.Count, null);
        var numbers = drop.Select(d => d.Number).ToHashSet();
        var lines = content.Split('\n');
        var updated = string.Join('\n', lines.Where((_, i) => !numbers.Contains(i + 1)));
        var diff = Diff.Unified(content, updated, path);
        if (!ctx.DryRun) AuthorizedKeysFile.Write(call, u, updated);
        return Outcome.Changed(new KeyChangeResult(u.Name, path, drop.Select(d => d.Entry).ToList(), keys.Count - drop.Count, diff));
    }
}
