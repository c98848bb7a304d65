using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class UserInfoVerb
{
    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "One account: UID, groups, home, shell, GECOS, lock state, password and account expiry (from /etc/shadow as root), last login.",
        [UserRoot.Arg], () => UserJson.Default.UserInfo, Run,
        examples: [new("user://deploy.info", "Everything about deploy.")],
        notes: "An unknown user is `not_found` (user://NAME.exists answers false instead). Shadow fields are null when /etc/shadow is not readable (not root).");

    static Outcome<UserInfo> Run(VerbContext ctx)
    {
        var call = UserCall.Open(ctx);
        return call.Info(call.UserName());
    }
}

public static class UserExists
{
    public static readonly VerbInfo Verb = VerbInfo.Define("exists", Effect.Read,
        "Whether an account exists (false, not an error, when it does not).",
        [UserRoot.Arg], () => UserJson.Default.UserExistsResult, Run,
        examples: [new("user://deploy.exists", "true or false.")]);

    static Outcome<UserExistsResult> Run(VerbContext ctx)
    {
        var call = UserCall.Open(ctx);
        var name = call.UserName();
        var u = call.Db.User(name);
        return new Outcome<UserExistsResult>(new UserExistsResult(name, u is not null, u?.Uid), false)
            .WithRaw(RawPayload.FromText(u is null ? "false" : "true"));
    }
}
