using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace ShardedKvs.Node.Api;

/// <summary>Reads {"value":"..."} from a PUT body, bounded in size, without building a document.</summary>
public static class PutBodyReader
{
    public const string ValueMissing = "Value is missing";
    public const string ValueNotUnicode = "Value is not valid Unicode text";

    public static ValueTask<PutBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken) =>
        BoundedBody.ReadAsync(request, maxBytes, Parse, TooLarge, cancellationToken);

    public static PutBody Parse(ReadOnlySequence<byte> json)
    {
        // No body at all is the reference's "value missing", not malformed JSON.
        if (json.IsEmpty)
        {
            return PutBody.Invalid(ValueMissing);
        }

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
                            JsonTokenType.String => ReadString(ref reader),
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
            return PutBody.Invalid(ValueNotUnicode);
        }
    }

    private static (byte[]? Value, string? Error) ReadString(ref Utf8JsonReader reader)
    {
        // The reader does not validate UTF-8 inside strings. Bytes that are not UTF-8 would be
        // acknowledged and then come back altered (as U+FFFD), so they are refused here.
        byte[] value = CopyUtf8(ref reader);
        return Utf8.IsValid(value) ? (value, null) : (null, ValueNotUnicode);
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
        PutBody.Invalid(BoundedBody.TooLargeError(maxBytes), StatusCodes.Status413PayloadTooLarge);
}
