using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace ShardedKvs.Node.Api;

/// <summary>Reads {"value":"..."} from a PUT body, bounded in size, without building a document.</summary>
public static class PutBodyReader
{
    public const string ValueMissing = "Value is missing";

    public static async ValueTask<PutBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return TooLarge(maxBytes);
        }

        PipeReader reader = request.BodyReader;
        while (true)
        {
            ReadResult read = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return TooLarge(maxBytes);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                PutBody body = Parse(buffer);
                reader.AdvanceTo(buffer.End);
                return body;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public static PutBody Parse(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read())
            {
                return PutBody.Invalid(ValueMissing);
            }

            byte[]? value = null;
            string? error = null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    bool isValue = reader.ValueTextEquals("value"u8);
                    reader.Read();
                    if (isValue)
                    {
                        (value, error) = reader.TokenType switch
                        {
                            JsonTokenType.String => ((byte[]?, string?))(CopyUtf8(ref reader), null),
                            JsonTokenType.Null => (null, null),
                            _ => (null, "Value must be a string"),
                        };
                    }

                    reader.Skip();
                }
            }
            else
            {
                reader.Skip();
            }

            // Reading to the end validates the whole body, not just the part before "value".
            while (reader.Read())
            {
                reader.Skip();
            }

            return error is not null ? PutBody.Invalid(error)
                : value is null ? PutBody.Invalid(ValueMissing)
                : PutBody.Of(value);
        }
        catch (JsonException)
        {
            return PutBody.Invalid("Invalid JSON body");
        }
        catch (InvalidOperationException)
        {
            // A string escape that is not valid Unicode (a lone surrogate).
            return PutBody.Invalid("Value is not valid Unicode text");
        }
    }

    private static byte[] CopyUtf8(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return reader.ValueSpan.ToArray();
        }

        int maxLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            int written = reader.CopyString(buffer);
            return buffer.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static PutBody TooLarge(int maxBytes) =>
        PutBody.Invalid($"Request body is larger than {maxBytes} bytes", StatusCodes.Status413PayloadTooLarge);
}
