namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// The first byte of every frame body, requests and answers alike: what the frame is. An answer carries
/// the kind of the request it answers, so the forwarding side can tell a mismatched answer from a
/// right one before it completes anything.
/// </summary>
public enum LaneFrameKind : byte
{
    /// <summary>A forwarded key request (<see cref="LaneRequest"/>) or its answer (<see cref="LaneAnswerFrame"/>).</summary>
    Forward,

    /// <summary>A primary's write to a replica (<see cref="ReplicateFrame"/>) or the replica's acknowledgement.</summary>
    Replicate,

    /// <summary>A lease request (<see cref="HeartbeatFrame"/>) or the peer's lease answer.</summary>
    Heartbeat,

    /// <summary>A batch of a fill (<see cref="FillFrame"/>) or the learner's answer.</summary>
    Fill,
}
