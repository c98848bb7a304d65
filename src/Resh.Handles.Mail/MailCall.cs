using System.Security.Cryptography;
using MailKit;
using MailKit.Search;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Mail;

/// <summary>Runs one verb inside a session: opens it, runs the body with the call's deadline, translates what fails.</summary>
internal static class MailCall
{
    public static async ValueTask<Outcome<T>> RunAsync<T>(VerbContext ctx, MailProtocol protocol,
        Func<MailSession, CancellationToken, Task<Outcome<T>>> body)
    {
        var timeout = ctx.Get(MailArgs.Timeout) ?? TimeSpan.FromSeconds(30);
        MailSession? session = null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        try
        {
            session = await MailSession.OpenAsync(ctx, protocol).ConfigureAwait(false);
            cts.CancelAfter(timeout);
            return await body(session, cts.Token).ConfigureAwait(false);
        }
        catch (MailPhaseException e) { return e.Error; }
        catch (Exception e) when (e is not ReshException && (e is not OperationCanceledException || !ctx.Cancellation.IsCancellationRequested))
        {
            return MailSession.Translate(e, protocol == MailProtocol.Smtp ? "send" : "command", session,
                cts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested, timeout);
        }
        finally
        {
            if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Refuses CR, LF and NUL in a value that becomes a header (no header injection).</summary>
    public static void CheckHeaderText(string what, string? value)
    {
        if (value is null) return;
        foreach (var c in value)
            if (c is '\r' or '\n' or '\0')
                throw ReshError.Usage($"{what} contains a line break or NUL, which would start a new header line; nothing was sent.",
                    "Give it on one line.").ToException();
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Flags as words: seen, answered, flagged, deleted, draft, recent, then keywords.</summary>
    public static List<string> Flags(MessageFlags? flags, IEnumerable<string>? keywords)
    {
        var list = new List<string>();
        if (flags is { } f)
        {
            if (f.HasFlag(MessageFlags.Seen)) list.Add("seen");
            if (f.HasFlag(MessageFlags.Answered)) list.Add("answered");
            if (f.HasFlag(MessageFlags.Flagged)) list.Add("flagged");
            if (f.HasFlag(MessageFlags.Deleted)) list.Add("deleted");
            if (f.HasFlag(MessageFlags.Draft)) list.Add("draft");
            if (f.HasFlag(MessageFlags.Recent)) list.Add("recent");
        }
        if (keywords is not null) list.AddRange(keywords);
        return list;
    }

    /// <summary>Parses UIDs given as a list (`uid=3,7`); each must be a positive integer.</summary>
    public static List<UniqueId> Uids(IReadOnlyList<string> values)
    {
        var list = new List<UniqueId>();
        foreach (var v in values)
        {
            if (!uint.TryParse(v.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n == 0)
                throw ReshError.Usage($"`{v}` is not a message UID (a positive integer).", "Take the uid of a message from .search.").ToException();
            if (!list.Contains(new UniqueId(n))) list.Add(new UniqueId(n));
        }
        if (list.Count == 0) throw ReshError.Usage("No UID given.", "Give uid=N (or uid=N,M); .search lists them.").ToException();
        return list;
    }

    /// <summary>Splits asked UIDs into those present in the open folder and those that are not.</summary>
    public static async Task<(List<UniqueId> Present, List<UniqueId> Missing)> PresentAsync(IMailFolder folder, List<UniqueId> asked, CancellationToken ct)
    {
        var found = await folder.SearchAsync(SearchQuery.Uids(asked), ct).ConfigureAwait(false);
        var set = found.Select(u => u.Id).ToHashSet();
        return (asked.Where(u => set.Contains(u.Id)).ToList(), asked.Where(u => !set.Contains(u.Id)).ToList());
    }
}

