namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// Orders the attempts to decide one epoch: a higher round wins, and the proposer's address breaks a
/// tie, so no two proposers ever hold the same ballot.
/// </summary>
public readonly record struct Ballot(long Round, string Proposer) : IComparable<Ballot>
{
    public static Ballot None { get; } = new(0, "");

    public int CompareTo(Ballot other)
    {
        int byRound = Round.CompareTo(other.Round);
        return byRound != 0 ? byRound : string.CompareOrdinal(Proposer, other.Proposer);
    }

    public static bool operator <(Ballot left, Ballot right) => left.CompareTo(right) < 0;

    public static bool operator >(Ballot left, Ballot right) => left.CompareTo(right) > 0;

    public static bool operator <=(Ballot left, Ballot right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Ballot left, Ballot right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Round}.{Proposer}";
}
