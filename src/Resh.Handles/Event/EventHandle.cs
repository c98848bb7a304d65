using Resh.Core.Model;

namespace Resh.Handles.Event;

/// <summary>event:// — a durable event trail: emit, list, follow, topics, and rules that run resh stages (serve).</summary>
public static class EventHandle
{
    public static HandleInfo Create() => new("event",
        "A durable event trail with topics: emit, list or query, follow, topics; rules that run a resh stage on matching events (serve).",
        "The topic: event:///deploy.created (or event://deploy.created); a NATS-style pattern for list, follow, topics and rules (deploy.*, deploy.>); empty for all. event://HOST/TOPIC is not used: a NATS server is named by the config's [events] url.",
        [
            EventEmit.Verb,
            EventList.Verb,
            EventList.QueryVerb,
            EventFollow.Verb,
            EventTopics.Verb,
            EventRulesAdd.Verb,
            EventRulesList.Verb,
            EventRulesRemove.Verb,
            EventServe.Verb,
        ])
    {
        Notes = "Embedded backend: the `events` directory of the state dir (0700, refused when another user owns it): append-only segment files "
            + "(SEQ.seg, 0600) of one JSON line per event with a CRC-32 each, fsynced before emit answers. Every emit, list and follow holds the "
            + "trail's lock (flock), so any number of processes may emit at once: sequence numbers are unique and increasing. A torn write at the "
            + "end (an emitter killed mid-write) is cut off when the trail is next opened; a damaged record is skipped with a warning and reading "
            + "goes on at the next record. Retention by [events] max_age (30d) and max_size (256MiB) deletes whole old segments on emit. "
            + "With [events] record = true in the config, every call that answers changed: true emits an event `resh.SCHEME.VERB` (who, what, target). "
            + "NATS JetStream backend, for many hosts: [events] backend = \"nats\" (the default when [events] has a url) with url = \"nats://HOST:4222\" "
            + "(or tls://), user, password (secret-typed: secret:NAME, env:VAR, file:PATH), tls, ca and timeout as in an [mq.NAME] table; backend= on a "
            + "call overrides it. One stream RESH_EVENTS on subjects resh.events.> (topic disk.full is subject resh.events.disk.full; patterns are subject "
            + "filters), limits retention with max_age and max_size as its MaxAge and MaxBytes; seq is the stream sequence. Rules stay in this host's "
            + "state dir; serve NAME is a durable consumer resh-serve-NAME shared by every host serving that name, so each event runs once among them "
            + "(at least once). [events] record = true always records into this host's embedded trail.",
    };
}
