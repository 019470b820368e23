namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// The timing a primary's read lease rests on. A primary serves a read only while every other in-sync
/// replica of the key granted it a lease that has not run out, counted from when the primary sent the
/// request for it; a replica stops granting once it knows a newer configuration. A replica promoted over
/// a primary waits out the last lease it granted that primary, stretched by <see cref="ClockDrift"/>:
/// clocks are assumed to run at about the same rate (within that fraction), never to agree.
/// </summary>
public sealed record LeaseTerms(TimeSpan Duration, double ClockDrift = 0.1)
{
    /// <summary>How long after its last grant a replica must wait before it serves what the grantee served.</summary>
    public TimeSpan GranteeExpiresWithin => Duration * (1 + ClockDrift);
}
