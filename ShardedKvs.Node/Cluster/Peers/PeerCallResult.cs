using System.Net;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>How one control call to one node went. <see cref="Status"/> is set only when it answered.</summary>
public sealed record PeerCallResult(string Node, PeerCallOutcome Outcome, HttpStatusCode? Status, string? Error)
{
    public bool Succeeded => Status is { } s && (int)s is >= 200 and < 300;

    public bool Refused => Outcome == PeerCallOutcome.Refused;

    public static PeerCallResult Answered(string node, HttpStatusCode status, string? error) => new(node, PeerCallOutcome.Answered, status, error);

    public static PeerCallResult RefusedBy(string node) => new(node, PeerCallOutcome.Refused, null, "connection refused");

    public static PeerCallResult NoAnswerFrom(string node, string reason) => new(node, PeerCallOutcome.NoAnswer, null, reason);
}
