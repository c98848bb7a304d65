using Resh.Core.Errors;
using Resh.Core.Output;

namespace Resh.Handles.Net.Webhook;

/// <summary>The HTTP status of an action's envelope: 200 ok; 400 usage; 401 a bad signature; 409 a replay (conflict); 500/502 a failed action.</summary>
internal static class WebhookStatus
{
    public static int Of(Envelope env) => env.Ok ? 200 : (env.Error?.Code ?? ErrorCode.Failed) switch
    {
        ErrorCode.Usage => 400,
        ErrorCode.PermissionDenied => 401,
        ErrorCode.NotFound => 404,
        ErrorCode.Conflict => 409,
        ErrorCode.Unavailable or ErrorCode.Timeout => 502,
        ErrorCode.Unsupported => 501,
        _ => 500,
    };
}
