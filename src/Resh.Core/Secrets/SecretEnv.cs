using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Core.Secrets;

/// <summary>
/// Environment variables for a program a handle starts or installs (ssh exec, svc units, cron jobs), split
/// into plain ones (<c>env=NAME=value</c>) and secret ones (<c>secret_env=NAME=SOURCE</c>, where SOURCE is a
/// secret-typed value: <c>secret:NAME</c>, <c>env:VAR</c>, <c>file:PATH</c>, or a literal with a warning).
/// A plain value whose name looks secret (<see cref="SecretKeys.LooksSecret"/>: DB_PASSWORD, API_TOKEN, SSH_KEY...) is warned about, masked in
/// every output like a resolved secret, and, where the handle asks, treated as secret from then on.
/// </summary>
public static class SecretEnv
{
    public static bool IsName(string s) => s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    public sealed record Result(IReadOnlyList<(string Name, string Value)> Plain, IReadOnlyList<(string Name, SecretValue Value)> Secret);

    /// <param name="moveSecretLooking">Put plain values with secret-looking names among the secrets (a 0600 file instead of a unit file).</param>
    public static Result Split(VerbContext ctx, IReadOnlyList<string> env, IReadOnlyList<string> secretEnv, string envArg, string secretArg, bool moveSecretLooking)
    {
        var plain = new List<(string, string)>();
        var secret = new List<(string, SecretValue)>();
        foreach (var e in env)
        {
            var (name, value) = Pair(e, envArg, "LANG=C.UTF-8");
            if (name != "PWD" && SecretKeys.LooksSecret(name)) // PWD as a variable is the working directory
            {
                SecretRedactor.Register(value);
                ctx.Warn($"{envArg} {name} looks like a secret but was given as a literal, which other users can read in /proc/PID/cmdline and which stays in shell history; " +
                         $"pass it as {secretArg}={name}=secret:NAME (or env:VAR, file:PATH).{(moveSecretLooking ? " It is kept with the secrets (0600), not in the world-readable file." : "")}");
                if (moveSecretLooking) { secret.Add((name, SecretValue.FromText(value))); continue; }
            }
            plain.Add((name, value));
        }
        foreach (var e in secretEnv)
        {
            var (name, source) = Pair(e, secretArg, "DB_PASSWORD=secret:db/app");
            SecretRef reference;
            try { reference = SecretRef.Parse(source); }
            catch (FormatException ex) { throw ReshError.Usage($"{secretArg} {name}: {ex.Message}", SecretNames.Rule).ToException(); }
            secret.Add((name, ctx.ResolveSecret(reference, $"{secretArg} {name}")));
        }
        var dup = plain.Select(p => p.Item1).Concat(secret.Select(s => s.Item1)).GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw ReshError.Usage($"The variable {dup.Key} is given twice ({envArg}/{secretArg}).", "Give each variable once.").ToException();
        return new Result(plain, secret);
    }

    static (string Name, string Value) Pair(string entry, string arg, string example)
    {
        var eq = entry.IndexOf('=');
        if (eq <= 0 || !IsName(entry[..eq]))
            throw ReshError.Usage($"{arg} entry `{(eq > 0 ? entry[..eq] : "…")}` is not NAME=value with a valid variable name.", $"Example: {arg}={example}").ToException();
        return (entry[..eq], entry[(eq + 1)..]);
    }
}
