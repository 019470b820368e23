namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>A node the configuration knows: its current incarnation and whether it was excluded as dead.</summary>
/// <param name="Excluded">Declared dead by a majority: it orders no writes, acknowledges none, and is
/// dropped from the placement at the next switch. Only a new incarnation brings the address back.</param>
public sealed record ConfigMember(string Address, long Incarnation, bool Excluded = false)
{
    public PlacedMember Placed => new(Address, Incarnation);
}
