using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.User;

public static class UserPasswd
{
    static readonly Arg<SecretRef?> Password = Arg.Secret("password", "The new password: secret:NAME, env:VAR, file:PATH or @- (stdin, or a no-echo prompt).");
    static readonly Arg<SecretRef?> Hash = Arg.Secret("hash", "A pre-made crypt hash ($y$..., $6$...) to set as is, from the same sources (hashes are secrets too).");
    static readonly Arg<string?> Scheme = Arg.Enum("scheme", "Hash scheme (default: ENCRYPT_METHOD of login.defs).", ["yescrypt", "sha512", "sha256", "bcrypt"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("passwd", Effect.Mutate,
        "Set an account's password from a secret or a pre-made hash; hashed with the system's crypt scheme and handed to chpasswd on stdin.",
        [Password, Hash, Scheme, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples:
        [
            new("user://deploy.passwd password=file:/run/secrets/deploy", "From a file's first line (password=@- reads stdin, or prompts without echo on a terminal)."),
            new("user://deploy.passwd password=secret:deploy-password", "From resh's secret store."),
            new("user://deploy.passwd hash=file:deploy.hash", "Set a hash made elsewhere (mkpasswd, openssl passwd -6), read from a file."),
        ],
        notes: "The clear text is hashed inside resh (libxcrypt's crypt(3), a fresh salt) and only `name:hash` reaches `chpasswd -e`, on stdin: neither the password nor the hash is ever in a program's argv or in the envelope. "
            + "When the password already matches the current hash (same password, and the scheme= asked for if given), nothing is written and the result is `changed: false`; "
            + "the same password with another scheme= is rehashed. Costs follow login.defs as passwd's do (SHA_CRYPT_MIN_ROUNDS, YESCRYPT_COST_FACTOR, BCRYPT_MIN_ROUNDS; bcrypt 13 when unset). "
            + "Setting a password clears a lock (`!`), as passwd does.");

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx, needsShadow: true);
        var name = call.UserName();
        if (ctx.Get(Password) is null == (ctx.Get(Hash) is null))
            return ReshError.Usage("Give exactly one of password= (a secret) or hash= (a crypt hash).", $"Example: resh user://{name}.passwd password=@-");
        var before = call.Info(name);
        var current = call.Db.Shadow(name)?.Hash
            ?? throw ReshError.NotFound($"User {name} has no entry in /etc/shadow.", "Run pwconv to create shadow entries.").ToException();
        string newHash;
        if (ctx.GetSecret(Hash) is { } hashSecret)
        {
            var hash = hashSecret.Reveal().Trim();
            if (!PasswordHash.LooksLikeHash(hash))
                return ReshError.Usage("hash is not a crypt hash ($id$salt$hash).", "Pass the clear text as password= instead; resh hashes it.");
            if (hash == current) return new UserChangeResult(name, "none", [], [], before);
            newHash = hash;
        }
        else
        {
            var secret = ctx.GetSecret(Password)!;
            if (secret.Length == 0) return ReshError.Usage("The password is empty.", "Lock the account instead: resh user://" + name + ".lock");
            var bytes = secret.RevealBytes().ToArray();
            if (bytes.Contains((byte)'\n') || bytes.Contains((byte)0))
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
                return ReshError.Usage("The password may not contain line breaks or NUL.", null);
            }
            try
            {
                // Same password: nothing to do, unless scheme= asks for another scheme than the hash's (then it is rehashed).
                var scheme = ctx.Get(Scheme);
                if (!current.StartsWith('!') && PasswordHash.Verify(bytes, current) && (scheme is null || PasswordHash.IsScheme(current, scheme)))
                    return new UserChangeResult(name, "none", [], [], before);
                var method = scheme ?? call.Defs.EncryptMethod;
                newHash = PasswordHash.Hash(bytes, method, call.Defs.CostFor(method));
            }
            finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes); }
        }
        var cmd = call.Tools.SetHashes();
        var changes = new List<FieldChange> { new("password", before.Password, "set") };
        if (before.Locked == true) changes.Add(new("locked", "true", "false"));
        if (ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, "password_set", changes, [cmd], before));
        var stdin = Encoding.UTF8.GetBytes($"{name}:{newHash}\n");
        try { await call.RunAsync(cmd, stdin).ConfigureAwait(false); }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(stdin); }
        call.Db.Refresh();
        return Outcome.Changed(new UserChangeResult(name, "password_set", changes, [cmd], call.Info(name)));
    }
}
