namespace RaftSpike.Experiments;

/// <summary>A node's answer to GET /spike/state.</summary>
public sealed record NodeState(
    string Self,
    string Incarnation,
    bool IsLeader,
    string? Leader,
    long Term,
    long CommitIndex,
    long LastIndex,
    string Value,
    long ValueIndex,
    long Applied,
    long CorruptEntries,
    IReadOnlyList<MemberState> Members,
    long SignedCalls,
    long RefusedCalls)
{
    public override string ToString() =>
        $"{Self} leader={IsLeader} term={Term} commit={CommitIndex} last={LastIndex} value='{Value}'@{ValueIndex} members=[{string.Join(' ', Members.Select(m => $"{m.EndPoint.Replace("http://127.0.0.1:", ":", StringComparison.Ordinal)}({m.Status})"))}]";
}

public sealed record MemberState(string EndPoint, string Status, bool Remote);
