namespace ShardedKvs.Node.Api;

/// <summary>Writes the {"error","message"} body every failure of the public API uses.</summary>
public static class ApiErrors
{
    public static Task WriteAsync(HttpContext context, int statusCode, string error, string message) =>
        Create(statusCode, error, message).ExecuteAsync(context);

    public static IResult Create(int statusCode, string error, string message, string? address = null, string? view = null) =>
        TypedResults.Json(new ErrorResponse(error, message) { Address = address, View = view }, NodeJson.Context.ErrorResponse, statusCode: statusCode);

    /// <summary>"Error in PUT" and its kin, from the request's method.</summary>
    public static string MessageFor(HttpRequest request) => $"Error in {request.Method}";
}
