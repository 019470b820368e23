using System.Globalization;

namespace RaftSpike.Security;

/// <summary>
/// Signs every outgoing Raft call. DotNext builds its peer clients from IHttpMessageHandlerFactory
/// under the name "raftClient", so this handler is added to that named client's pipeline.
/// The body is buffered to be hashed: Raft bodies of a configuration log are small.
/// </summary>
public sealed class RaftSigningHandler(RaftSignature signature, TimeProvider time) : DelegatingHandler
{
    private static long s_signedcalls;

    public static long SignedCalls => Interlocked.Read(ref s_signedcalls);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[] body = [];
        if (request.Content is not null)
        {
            body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var buffered = new ByteArrayContent(body);
            foreach (var header in request.Content.Headers)
            {
                buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            buffered.Headers.ContentLength = body.Length;
            request.Content = buffered;
        }

        string sender = request.Headers.TryGetValues(RaftSignature.SenderHeader, out var values) ? string.Join(',', values) : string.Empty;
        string timestamp = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string path = request.RequestUri!.AbsolutePath;
        request.Headers.Add(RaftSignature.TimestampHeader, timestamp);
        request.Headers.Add(RaftSignature.SignatureHeader, signature.Sign(request.Method.Method, path, sender, timestamp, body));
        Interlocked.Increment(ref s_signedcalls);
        return await base.SendAsync(request, cancellationToken);
    }
}
