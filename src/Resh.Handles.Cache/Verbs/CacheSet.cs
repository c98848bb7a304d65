using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cache;

public static class CacheSet
{
    static readonly Arg<byte[]?> Value = Arg.Bytes("value", "The value: text as given (UTF-8), @FILE for a file's exact bytes, @- for stdin; base64 text with encoding=base64.", required: true);
    internal static readonly Arg<string?> Encoding = Arg.Enum("encoding", "How value is written: utf8 (the text itself, default) or base64 (decoded to bytes before storing).",
        [CacheValue.Utf8Name, CacheValue.Base64Name], CacheValue.Utf8Name);
    internal static readonly Arg<TimeSpan?> Ttl = Arg.Duration("ttl", "Expire the key after this long (30s, 1m, 1h). Without it the key never expires (and set removes an earlier expiry).");
    static readonly Arg<bool> Nx = Arg.Bool("nx", "Only if the key does not exist (SET NX / memcached add); written: false otherwise.");
    static readonly Arg<bool> Xx = Arg.Bool("xx", "Only if the key exists (SET XX / memcached replace); written: false otherwise.");

    public static readonly VerbInfo Verb = VerbInfo.Define("set", Effect.Mutate,
        "Write a key's value, optionally with a TTL and only if absent (nx) or present (xx); changed is true only when it was written.",
        [CacheArgs.Key, Value, Encoding, Ttl, Nx, Xx, CacheArgs.KeyEncoding, .. CacheArgs.Common], () => CacheJson.Default.CacheSetResult, RunAsync,
        examples:
        [
            new("'cache://127.0.0.1:6379.set(key=k,value=v,ttl=1m)'", "A key that expires in a minute."),
            new("cache:/// set key=k value=v", "A key of the embedded store."),
            new("cache://127.0.0.1:6379.set key=lock:job value=me nx=true ttl=30s", "Take a lock only if no one holds it."),
            new("cache://127.0.0.1:6379.set key=blob value=@logo.png", "A file's exact bytes."),
        ]);

    static ValueTask<Outcome<CacheSetResult>> RunAsync(VerbContext ctx)
    {
        var nx = ctx.Get(Nx);
        var xx = ctx.Get(Xx);
        if (nx && xx)
            return ValueTask.FromResult<Outcome<CacheSetResult>>(ReshError.Usage("nx and xx exclude each other: a key cannot be both absent and present.", "Give one of nx=true or xx=true."));
        var ttl = ctx.Get(Ttl);
        if (ttl is { } t && t <= TimeSpan.Zero)
            return ValueTask.FromResult<Outcome<CacheSetResult>>(ReshError.Usage("ttl must be positive.", "Example: ttl=30s; leave it out for a key that never expires."));
        return CacheCall.RunAsync<CacheSetResult>(ctx, async (backend, ct) =>
        {
            var key = ctx.Get(CacheArgs.Key)!;
            var kb = CacheArgs.KeyBytes(ctx);
            var raw = ctx.Get(Value)!;
            var bytes = ctx.Get(Encoding) == CacheValue.Base64Name ? CacheValue.Decode(System.Text.Encoding.UTF8.GetString(raw), CacheValue.Base64Name, "value") : raw;
            var condition = nx ? SetCondition.IfAbsent : xx ? SetCondition.IfPresent : SetCondition.Always;
            var conditionName = nx ? "nx" : xx ? "xx" : "always";
            if (ctx.DryRun)
            {
                var exists = await backend.ExistsAsync(kb, ct).ConfigureAwait(false);
                var would = condition switch { SetCondition.IfAbsent => !exists, SetCondition.IfPresent => exists, _ => true };
                return Outcome.Changed(new CacheSetResult(backend.Kind, backend.Server, key, would, conditionName, exists, ttl?.TotalSeconds, bytes.LongLength), would);
            }
            var written = await backend.SetAsync(kb, bytes, ttl, condition, ct).ConfigureAwait(false);
            bool? existed = condition switch { SetCondition.IfAbsent => !written, SetCondition.IfPresent => written, _ => null };
            return Outcome.Changed(new CacheSetResult(backend.Kind, backend.Server, key, written, conditionName, existed, ttl?.TotalSeconds, bytes.LongLength), written);
        });
    }
}
