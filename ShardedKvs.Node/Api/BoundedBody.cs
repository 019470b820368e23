using System.Buffers;
using System.IO.Pipelines;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Reads a whole public request body of at most <c>maxBytes</c>, whatever its Content-Type, and
/// parses it while it is still buffered. A larger body is refused as soon as that is known: from
/// its Content-Length, or when the bytes received pass the limit.
/// </summary>
public static class BoundedBody
{
    public static string TooLargeError(int maxBytes) => $"Request body is larger than {maxBytes} bytes";

    public static async ValueTask<T> ReadAsync<T>(
        HttpRequest request,
        int maxBytes,
        Func<ReadOnlySequence<byte>, T> parse,
        Func<int, T> tooLarge,
        CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return tooLarge(maxBytes);
        }

        PipeReader reader = request.BodyReader;
        while (true)
        {
            ReadResult read = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return tooLarge(maxBytes);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                T parsed = parse(buffer);
                reader.AdvanceTo(buffer.End);
                return parsed;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
