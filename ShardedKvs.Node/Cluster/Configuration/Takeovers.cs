namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>
/// Whose keys a node becomes primary for when one configuration follows another. Before it serves
/// them, it must know their previous primary has stopped (it confirmed the new epoch, or the last lease
/// this node granted it has run out) and, if that primary died, reconcile what it left half-written.
/// </summary>
public static class Takeovers
{
    /// <summary>The previous primaries of every key whose primary is <paramref name="self"/> in
    /// <paramref name="after"/> but was another node in <paramref name="before"/>. Keys that had no
    /// primary before (every copy was lost) are taken over from no one.</summary>
    public static IReadOnlySet<PlacedMember> From(PlacementMap before, PlacementMap after, PlacedMember self)
    {
        var previous = new HashSet<PlacedMember>();

        // The primary of either map changes only at one of its ring's tokens, so checking every token
        // of both rings checks every key range.
        Check(before.Placement.Ring.Tokens);
        Check(after.Placement.Ring.Tokens);
        return previous;

        void Check(ReadOnlySpan<ulong> tokens)
        {
            foreach (ulong token in tokens)
            {
                if (after.PrimaryOf(token) == self && before.PrimaryOf(token) is { } was && was != self)
                {
                    previous.Add(was);
                }
            }
        }
    }
}
