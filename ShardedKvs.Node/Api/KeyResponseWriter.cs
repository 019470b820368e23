using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Api;

/// <summary>
/// Writes the public answers to key requests. This is the hot path, so it writes JSON straight
/// into a per-thread buffer (no response objects, no reflection) and copies it to the response in
/// one piece with its Content-Length.
/// </summary>
public static class KeyResponseWriter
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static Task WriteAsync(HttpResponse response, KeyOperation operation, in KeyOutcome outcome, ClusterSnapshot snapshot)
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        Utf8JsonWriter json = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        json.Reset(buffer);

        int status = WriteBody(json, operation, outcome, snapshot);
        json.Flush();

        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    private static int WriteBody(Utf8JsonWriter json, KeyOperation operation, in KeyOutcome outcome, ClusterSnapshot snapshot)
    {
        json.WriteStartObject();
        int status;
        switch (outcome.Kind)
        {
            case OutcomeKind.Created:
                json.WriteString("message"u8, "Added successfully"u8);
                json.WriteBoolean("replaced"u8, false);
                status = StatusCodes.Status201Created;
                break;
            case OutcomeKind.Replaced:
                json.WriteString("message"u8, "Updated successfully"u8);
                json.WriteBoolean("replaced"u8, true);
                status = StatusCodes.Status200OK;
                break;
            case OutcomeKind.Found when operation == KeyOperation.Get:
                json.WriteBoolean("doesExist"u8, true);
                json.WriteString("message"u8, "Retrieved successfully"u8);
                json.WriteString("value"u8, outcome.Value.Span);
                status = StatusCodes.Status200OK;
                break;
            case OutcomeKind.Found:
                json.WriteBoolean("doesExist"u8, true);
                json.WriteString("message"u8, "Deleted successfully"u8);
                status = StatusCodes.Status200OK;
                break;
            case OutcomeKind.NotFound:
                json.WriteBoolean("doesExist"u8, false);
                json.WriteString("error"u8, "Key does not exist"u8);
                json.WriteString("message"u8, ErrorMessage(operation));
                status = StatusCodes.Status404NotFound;
                break;
            default:
                json.WriteString("error"u8, outcome.Error ?? DescribeFailure(outcome.Kind));
                json.WriteString("message"u8, ErrorMessage(operation));
                if (outcome.Kind == OutcomeKind.NotServing && snapshot.Current.Epoch > 0)
                {
                    json.WriteString("view"u8, snapshot.Current.Text);
                }

                // Tells a client it may send a write again; absent when a write may have landed.
                if (outcome.WasNotExecuted)
                {
                    json.WriteBoolean("executed"u8, false);
                }

                status = StatusCodes.Status503ServiceUnavailable;
                break;
        }

        if (outcome.Owner is { } owner)
        {
            json.WriteString("address"u8, owner);
        }

        json.WriteEndObject();
        return status;
    }

    public static ReadOnlySpan<byte> ErrorMessage(KeyOperation operation) => operation switch
    {
        KeyOperation.Get => "Error in GET"u8,
        KeyOperation.Put => "Error in PUT"u8,
        _ => "Error in DELETE"u8,
    };

    private static string DescribeFailure(OutcomeKind kind) => kind switch
    {
        OutcomeKind.NotServing => "Node is not serving keys",
        OutcomeKind.KeyBusy => "Key is being moved to another node; try again",
        _ => "Owner is unavailable",
    };
}
