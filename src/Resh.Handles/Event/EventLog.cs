using System.Runtime.CompilerServices;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Event;

/// <summary>
/// Where the trail lives: the verbs of event:// talk only to this. <see cref="EmbeddedEventLog"/> is the segment files
/// of the state dir (<see cref="EventStore"/>); the NATS JetStream log lives in Resh.Handles.Nats and is reached through
/// <see cref="EventLogs.NatsProvider"/>, so this project never links the NATS client. Sequence numbers are the backend's
/// (the embedded trail's own, or the stream's): unique and increasing across every emitter.
/// </summary>
public interface IEventLog
{
    /// <summary>embedded or nats.</summary>
    string Kind { get; }

    /// <summary>Appends one event (<paramref name="make"/> gets its sequence number when the backend knows it before, else 0 and the answer carries it).</summary>
    Task<(EventRecord Record, int Dropped)> AppendAsync(VerbContext ctx, Func<long, EventRecord> make, bool durable, EventSettings settings);

    /// <summary>emit with --dry-run: looks at the trail (warnings, reachability) without writing.</summary>
    Task CheckAsync(VerbContext ctx);

    /// <summary>The sequence number of the newest event (0 when there is none).</summary>
    Task<long> LastSeqAsync(VerbContext ctx);

    /// <summary>
    /// Every readable event with a sequence number above <paramref name="after"/>, oldest first, whose topic may match
    /// <paramref name="pattern"/> (a backend that can filters by it; callers check again), calling <paramref name="onEvent"/>
    /// (false stops). <paramref name="sinceMs"/> lets a backend skip what is older. Damaged records are warnings.
    /// </summary>
    Task ReadAsync(VerbContext ctx, string? pattern, long after, long? sinceMs, Func<EventRecord, bool> onEvent);

    /// <summary>
    /// Streams events after <paramref name="after"/> (null: from the end of the trail now) until <paramref name="onEvent"/>
    /// returns false or the call is cancelled; <paramref name="last"/> is the last sequence number read (the cursor).
    /// </summary>
    Task FollowAsync(VerbContext ctx, string? pattern, long? after, StrongBox<long> last, TimeSpan maxPause, Func<EventRecord, bool> onEvent);

    Task<EventTopicsResult> TopicsAsync(VerbContext ctx, string? pattern);

    /// <summary>The events a rule server named <paramref name="name"/> has not handled yet.</summary>
    Task<IEventFeed> FeedAsync(VerbContext ctx, string name, TimeSpan runTimeout);
}

/// <summary>What <c>serve</c> reads: events not yet handled by this server name, and the mark that one was handled.</summary>
public interface IEventFeed : IDisposable
{
    /// <summary>The last event handled (the cursor).</summary>
    long After { get; }

    /// <summary>The next events not handled yet (empty: caught up).</summary>
    Task<IReadOnlyList<EventRecord>> NextAsync(VerbContext ctx, Action<string> warn);

    /// <summary>The event's rules ran: the cursor moves past it (embedded) or it is acked (nats). Nothing under --dry-run.</summary>
    Task DoneAsync(VerbContext ctx, EventRecord rec);
}

public static class EventLogs
{
    /// <summary>Connects the NATS JetStream trail; set by the CLI's catalog (Resh.Handles.Nats owns the NATS client).</summary>
    public static Func<VerbContext, EventSettings, Task<IEventLog>>? NatsProvider { get; set; }

    /// <summary>The trail a call uses: backend= when given, else the config's [events] backend (nats when it has a url), else embedded.</summary>
    public static async Task<IEventLog> OpenAsync(VerbContext ctx)
    {
        var settings = EventSettings.From(ctx.Runtime.Config);
        var backend = ctx.Get(EventArgs.Backend) ?? settings.Backend;
        switch (backend)
        {
            case "embedded":
                return new EmbeddedEventLog();
            case "nats":
                if (settings.Url is null)
                    throw ReshError.Usage("The nats backend of event:// needs a server: the config's [events] table has no url.",
                        "Add to the config: [events] url = \"nats://HOST:4222\" (and user, password = \"secret:NAME\", tls, ca as in [mq.NAME] tables).").ToException();
                var provider = NatsProvider ?? throw ReshError.Unsupported("This build of resh has no NATS backend.", "Use the embedded trail: backend=embedded.").ToException();
                return await provider(ctx, settings).ConfigureAwait(false);
            default:
                throw ReshError.Usage($"The backend {backend} of event:// does not exist.", "Use backend = \"embedded\" or \"nats\" in [events].").ToException();
        }
    }
}
