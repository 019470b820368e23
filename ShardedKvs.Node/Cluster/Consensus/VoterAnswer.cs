using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>A voter's answer, signed with who it is: its address and the incarnation it runs. A vote
/// counts only if the configuration being voted on names that very incarnation.</summary>
public sealed record VoterAnswer(PlacedMember Voter, Vote Vote);
