using System.Collections.Concurrent;
using System.Text.Json.Serialization;

// Port: first argument, else PORT, else ADDRESS=host:port (same variable as the node), else 15800.
var port = args.Length > 0 ? args[0]
    : Environment.GetEnvironmentVariable("PORT")
    ?? Environment.GetEnvironmentVariable("ADDRESS")?.Split(':')[^1]
    ?? "15800";

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

var app = builder.Build();
var store = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

app.MapGet("/kvs/keys/{key}", (string key) =>
    store.TryGetValue(key, out var value)
        ? Results.Ok(new GetFound(true, "Retrieved successfully", value))
        : Results.NotFound(new GetMissing(false, "Key does not exist", "Error in GET")));

app.MapPut("/kvs/keys/{key}", (string key, PutBody body) =>
{
    if (body.Value is null)
    {
        return Results.BadRequest(new ErrorBody("Value is missing", "Error in PUT"));
    }

    var replaced = false;
    store.AddOrUpdate(key, body.Value, (_, _) =>
    {
        replaced = true;
        return body.Value;
    });
    return replaced
        ? Results.Ok(new PutResult("Updated successfully", true))
        : Results.Created((string?)null, new PutResult("Added successfully", false));
});

app.Run();

internal sealed record PutBody([property: JsonPropertyName("value")] string? Value);

internal sealed record GetFound(
    [property: JsonPropertyName("doesExist")] bool DoesExist,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("value")] string Value);

internal sealed record GetMissing(
    [property: JsonPropertyName("doesExist")] bool DoesExist,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message);

internal sealed record ErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message);

internal sealed record PutResult(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("replaced")] bool Replaced);
