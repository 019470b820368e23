using System.Security.Cryptography;
using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Membership;

/// <summary>
/// Who this process is: its address, and the incarnation id it drew when it started. The store lives
/// in memory, so a restarted process is a new member with a new incarnation, never the holder of what
/// its address held before (see <see cref="PlacedMember"/>).
/// </summary>
public sealed class NodeIdentity(string address)
{
    public string Address { get; } = address;

    private long _incarnation = NewIncarnation();

    /// <summary>Random, positive and never 0 (0 means "unknown" in messages).</summary>
    public long Incarnation => Interlocked.Read(ref _incarnation);

    public PlacedMember Self => new(Address, Incarnation);

    /// <summary>Becomes a new member, as if the process had restarted: for a process the cluster
    /// excluded while it was cut off, once it has emptied its store.</summary>
    public PlacedMember Renew()
    {
        Interlocked.Exchange(ref _incarnation, NewIncarnation());
        return Self;
    }

    private static long NewIncarnation() => (RandomNumberGenerator.GetInt32(1, int.MaxValue) * (1L << 31)) + RandomNumberGenerator.GetInt32(int.MaxValue);

    public override string ToString() => Self.ToString();
}
