using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using ShardedKvs.Client;

namespace ShardedKvs.SampleApi.Apis;

/// <summary>
/// /notes/{key}: reads and writes keys of the store directly through <see cref="ShardedKvsClient"/>,
/// showing what each of its results and failures turns into for the app's own callers.
/// </summary>
public static class NotesApi
{
    public static IEndpointRouteBuilder MapNotesApi(this IEndpointRouteBuilder endpoints)
    {
        var notes = endpoints.MapGroup("/notes");
        notes.MapGet("/{key}", GetAsync);
        notes.MapPut("/{key}", PutAsync);
        notes.MapDelete("/{key}", DeleteAsync);
        return endpoints;
    }

    private static async Task<Results<Ok<Note>, NotFound<ApiError>, JsonHttpResult<ApiError>>> GetAsync(
        string key, ShardedKvsClient kvs, CancellationToken cancellationToken)
    {
        try
        {
            return await kvs.GetAsync(NoteKey(key), cancellationToken) is { } text
                ? TypedResults.Ok(new Note(text))
                : TypedResults.NotFound(new ApiError("Note does not exist", $"No note '{key}'"));
        }
        catch (ShardedKvsException e)
        {
            return Failure(e);
        }
    }

    private static async Task<Results<Created<Note>, Ok<Note>, BadRequest<ApiError>, JsonHttpResult<ApiError>>> PutAsync(
        string key, HttpRequest request, ShardedKvsClient kvs, CancellationToken cancellationToken)
    {
        // Read by hand, so a malformed body gets the same {"error","message"} answer as everything else.
        Note? note;
        try
        {
            note = await request.ReadFromJsonAsync<Note>(cancellationToken);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return TypedResults.BadRequest(new ApiError("Invalid JSON body", "Send {\"text\":\"...\"} as application/json"));
        }

        if (note?.Text is null)
        {
            return TypedResults.BadRequest(new ApiError("Text is missing", "Send {\"text\":\"...\"}"));
        }

        try
        {
            PutResult result = await kvs.PutAsync(NoteKey(key), note.Text, cancellationToken);
            return result == PutResult.Created ? TypedResults.Created($"/notes/{key}", note) : TypedResults.Ok(note);
        }
        catch (ShardedKvsException e)
        {
            return Failure(e);
        }
    }

    private static async Task<Results<NoContent, NotFound<ApiError>, JsonHttpResult<ApiError>>> DeleteAsync(
        string key, ShardedKvsClient kvs, CancellationToken cancellationToken)
    {
        try
        {
            return await kvs.DeleteAsync(NoteKey(key), cancellationToken)
                ? TypedResults.NoContent()
                : TypedResults.NotFound(new ApiError("Note does not exist", $"No note '{key}'"));
        }
        catch (ShardedKvsException e)
        {
            return Failure(e);
        }
    }

    private static string NoteKey(string key) => $"note:{key}";

    /// <summary>400 for a request the store refuses; 503 when it could not serve (retry later);
    /// 504 when a write may or may not have happened (read before repeating it).</summary>
    private static JsonHttpResult<ApiError> Failure(ShardedKvsException e) => e switch
    {
        ShardedKvsRequestRejectedException rejected => TypedResults.Json(new ApiError(rejected.Error ?? "Rejected", e.Message), statusCode: StatusCodes.Status400BadRequest),
        ShardedKvsOutcomeUnknownException => TypedResults.Json(new ApiError("Outcome unknown", e.Message), statusCode: StatusCodes.Status504GatewayTimeout),
        _ => TypedResults.Json(new ApiError("Store unavailable", e.Message), statusCode: StatusCodes.Status503ServiceUnavailable),
    };
}
