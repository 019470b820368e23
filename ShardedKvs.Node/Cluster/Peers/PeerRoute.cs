namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>One internal endpoint: how it is called, and which timeout a call to it gets.</summary>
public sealed record PeerRoute(HttpMethod Method, string Path, PeerCallTimeout Timeout);
