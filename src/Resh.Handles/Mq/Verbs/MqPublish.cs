using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Mq;

public static class MqPublish
{
    internal static readonly Arg<ContentSource?> Body = Arg.Content("body", "The message: text, @FILE, or @- for standard input.", examples: ["hello", "@job.json", "@-"]);
    internal static readonly Arg<string?> FromFile = Arg.String("file", "Read the body from this file instead of body=.", path: PathUse.Read, examples: ["./job.json"]);
    internal static readonly Arg<JsonNode?> Headers = Arg.Json("headers", "String headers kept with the message (a JSON object).", examples: ["{\"trace\":\"ab12\"}"]);
    static readonly Arg<string?> Key = Arg.String("key", "A key kept with the message (a partition or deduplication key for the consumer).", examples: ["order-1234"]);
    static readonly Arg<bool> Persistent = Arg.Bool("persistent", "Wait until the message is on disk (fsync) before answering; false answers after the write alone.", true);
    internal static readonly Arg<long?> MaxBody = Arg.Size("max_body", "Refuse bodies larger than this (at most 64MiB).", MqLimits.DefaultMaxBody);

    public static readonly VerbInfo Verb = VerbInfo.Define("publish", Effect.Mutate,
        "Add a message to a queue (created on first use); answers once it is on disk.",
        [Body, FromFile, Headers, Key, Persistent, MaxBody, MqArgs.Backend], () => MqJson.Default.MqPublishResult, RunAsync,
        examples:
        [
            new("'mq:///jobs.publish(body=hello)'", "seq of the new message; durable:true."),
            new("mq:///jobs.publish body=@-", "The body from standard input (resh ... < job.json)."),
            new("mq:///jobs.publish file=job.json key=order-12 headers:='{\"trace\":\"ab12\"}'", "With a key and headers."),
            new("'mq://127.0.0.1:4222/jobs.publish(body=hello)'", "To the JetStream stream of queue jobs on a NATS server."),
            new("'mq://127.0.0.1:6379/jobs.publish(body=hello,backend=redis)'", "To the Redis stream resh:mq:jobs."),
        ],
        notes: "Embedded: the message is fsynced before ok is answered. NATS: ok is answered after the JetStream server's ack (the message is stored in "
            + "the stream; the server fsyncs on its own sync_interval); persistent=false sends without waiting for it. Redis: ok is answered after XADD's reply (in the "
            + "server's memory; on disk as its appendfsync says). Inside `resh batch`, consecutive publishes "
            + "share one fsync, and on NATS and Redis do not wait for each ack or reply in turn (group commit; on Redis the XADDs are pipelined): their answers are written after it, so none says ok before its "
            + "message is stored. Bodies are bytes; consumers see UTF-8 text, or base64 when it is not UTF-8.",
        targetHelp: "The queue: mq:///jobs, mq://HOST:4222/jobs (NATS), mq://HOST:6379/jobs backend=redis, mq://PROFILE/jobs").WithDeferredSync();

    static async ValueTask<Outcome<MqPublishResult>> RunAsync(VerbContext ctx)
    {
        var (name, backend) = await MqTarget.OpenAsync(ctx).ConfigureAwait(false);
        var max = ctx.Get(MaxBody) ?? MqLimits.DefaultMaxBody;
        if (max <= 0 || max > MqLimits.MaxBodyCeiling)
            return ReshError.Usage("max_body= must be between 1 byte and 64MiB.", "Example: max_body=8MiB");
        var body = ReadBody(ctx, (int)max);
        var headers = HeadersOf(ctx.Get(Headers));
        return await backend.PublishAsync(ctx, name, new MqOutgoing(body, ctx.Get(Key), headers, ctx.Get(Persistent))).ConfigureAwait(false);
    }

    internal static byte[] ReadBody(VerbContext ctx, int max)
    {
        var path = ctx.Get(FromFile);
        using var content = ctx.Get(Body);
        if (path is not null && content is not null)
            throw ReshError.Usage("Give the body once: body= or file=, not both.", "Example: mq:///jobs.publish file=job.json").ToException();
        if (path is not null)
        {
            FileStream fs;
            try { fs = new FileStream(path, FileMode.Open, FileAccess.Read); }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw ReshError.NotFound($"There is no file {path} to publish.", "Check the path (file= is read as the body).").ToException();
            }
            using (fs)
            {
                if (fs.Length > max) throw TooLarge(fs.Length, max).ToException();
                return ContentSource.FromStream(fs, fs.Length, "@" + path).TryBuffer(max) ?? throw TooLarge(null, max).ToException();
            }
        }
        if (content is null)
            throw ReshError.Usage("The message has no body: give body=TEXT, body=@FILE, body=@- (standard input) or file=PATH.",
                "Example: resh 'mq:///jobs.publish(body=hello)'").ToException();
        return content.TryBuffer(max) ?? throw TooLarge(content.Length, max).ToException();
    }

    static ReshError TooLarge(long? size, int max) =>
        ReshError.Usage($"The body is larger than max_body ({Resh.Core.Values.SizeValue.Format(max)}){(size is { } s ? $": {Resh.Core.Values.SizeValue.Format(s)}" : "")}.",
            "Raise max_body= (at most 64MiB), or publish a reference (a path or URL) to the data instead of the data.",
            new JsonObject { ["max_body"] = max, ["size"] = size });

    internal static Dictionary<string, string>? HeadersOf(JsonNode? node)
    {
        if (node is null) return null;
        if (node is not JsonObject o)
            throw ReshError.Usage("headers= must be a JSON object of strings.", "Example: headers:='{\"trace\":\"ab12\"}'").ToException();
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        long size = 0;
        foreach (var (k, v) in o)
        {
            if (v is not JsonValue jv || !jv.TryGetValue<string>(out var text))
                throw ReshError.Usage($"Header `{k}` is not a string.", "Quote every header value: headers:='{\"attempt\":\"2\"}'").ToException();
            size += k.Length + text.Length;
            headers[k] = text;
        }
        if (size > 64 * 1024) throw ReshError.Usage("The headers are larger than 64KiB together.", "Keep headers small; put data in the body.").ToException();
        return headers;
    }
}
