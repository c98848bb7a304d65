using Resh.Core.Errors;
using Resh.Core.Output;

namespace Resh.Handles.Net.Webhook;

/// <summary>
/// The HTTP status of an action's envelope: 200 ok; 400 when the delivery's values were refused (usage: a placeholder's
/// field missing, a value the stage's declaration rejects; the same delivery would fail again); 503 when the action met a
/// busy or unreachable backend (conflict, timeout, unavailable: retry later); 502 for any other failure of the action.
/// Never 404: that means no such route, and no sender retries it (s32 user review).
/// </summary>
internal static class WebhookStatus
{
    public static int Of(Envelope env) => env.Ok ? 200 : (env.Error?.Code ?? ErrorCode.Failed) switch
    {
        ErrorCode.Usage => 400,
        ErrorCode.Conflict or ErrorCode.Unavailable or ErrorCode.Timeout => 503,
        _ => 502,
    };
}
