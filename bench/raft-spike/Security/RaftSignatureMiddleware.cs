using System.Globalization;

namespace RaftSpike.Security;

/// <summary>
/// Placed in front of DotNext's UseConsensusProtocolHandler: a Raft call without a valid cluster
/// signature is answered 401 and never reaches the consensus code.
/// </summary>
public sealed class RaftSignatureMiddleware(RequestDelegate next, RaftSignature signature, TimeProvider time)
{
    private static long s_refused;

    public static long Refused => Interlocked.Read(ref s_refused);

    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string sender = request.Headers[RaftSignature.SenderHeader].ToString();
        string timestamp = request.Headers[RaftSignature.TimestampHeader].ToString();
        string presented = request.Headers[RaftSignature.SignatureHeader].ToString();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        byte[] body = buffer.ToArray();
        bool fresh = long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long sentAt)
            && Math.Abs(time.GetUtcNow().ToUnixTimeMilliseconds() - sentAt) <= RaftSignature.Skew.TotalMilliseconds;
        if (!fresh || presented.Length == 0
            || !signature.Verify(request.Method, request.PathBase + request.Path, sender, timestamp, body, presented))
        {
            Interlocked.Increment(ref s_refused);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(new { error = "unauthorized", message = "Raft call without a valid cluster signature" });
            return;
        }

        request.Body = new MemoryStream(body, writable: false);
        await next(context);
    }
}
