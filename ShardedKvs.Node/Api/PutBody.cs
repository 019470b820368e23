namespace ShardedKvs.Node.Api;

/// <summary>A parsed PUT body: the value as UTF-8, or why there is none.</summary>
public readonly record struct PutBody(byte[]? Value, int StatusCode, string? Error)
{
    public static PutBody Of(byte[] value) => new(value, StatusCodes.Status200OK, null);

    public static PutBody Invalid(string error, int statusCode = StatusCodes.Status400BadRequest) => new(null, statusCode, error);
}
