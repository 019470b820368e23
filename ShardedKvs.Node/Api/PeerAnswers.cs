using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.ViewChange;

namespace ShardedKvs.Node.Api;

/// <summary>Answers of the internal protocol: where the outcome of a view-change step becomes an
/// HTTP status, and errors in the peers' {"error"} shape.</summary>
public static class PeerAnswers
{
    public static IResult Error(int statusCode, string error) =>
        Results.Json(new PeerError(error), PeerJsonContext.Default.PeerError, statusCode: statusCode);

    public static IResult From(StepOutcome outcome) => outcome.Status switch
    {
        StepStatus.Done when outcome.Migrated is { } migrated => Results.Json(migrated, PeerJsonContext.Default.MigrateResult),
        StepStatus.Done => Results.Ok(),
        StepStatus.Invalid => Error(StatusCodes.Status400BadRequest, outcome.Error ?? "Invalid request"),
        StepStatus.Conflict => Error(StatusCodes.Status409Conflict, outcome.Error ?? "Conflict"),
        _ => Error(StatusCodes.Status503ServiceUnavailable, outcome.Error ?? "Unavailable"),
    };
}
