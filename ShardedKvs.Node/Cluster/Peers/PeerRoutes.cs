namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>
/// Every internal (node-to-node) endpoint, in one place: the endpoints are mapped from these, the
/// peer client calls them, and the tests' fault injection matches them. Every call below
/// <see cref="Prefix"/> must be signed (see <c>Api/ClusterAuthMiddleware</c>).
/// </summary>
public static class PeerRoutes
{
    public const string Prefix = "/internal";

    /// <summary>A node's view (<see cref="ViewState"/>): restart discovery and stalled-change probes.</summary>
    public static readonly PeerRoute View = new(HttpMethod.Get, Prefix + "/view", PeerCallTimeout.Control);

    /// <summary>A member of the initial view registers with the formation coordinator.</summary>
    public static readonly PeerRoute Join = new(HttpMethod.Post, Prefix + "/formation/join", PeerCallTimeout.Control);

    /// <summary>The keys a node holds (<see cref="KeyCount"/>), for a view change's answer.</summary>
    public static readonly PeerRoute KeyCount = new(HttpMethod.Get, Prefix + "/key-count", PeerCallTimeout.Control);

    /// <summary>Every key a node holds with its version (<see cref="HeldCopies"/>): for audits of
    /// placement (is every key on exactly its replicas?), which no node needs in order to serve.</summary>
    public static readonly PeerRoute Copies = new(HttpMethod.Get, Prefix + "/copies", PeerCallTimeout.Control);

    public static readonly PeerRoute Prepare = new(HttpMethod.Post, Prefix + "/view-change/prepare", PeerCallTimeout.Control);

    public static readonly PeerRoute Migrate = new(HttpMethod.Post, Prefix + "/view-change/migrate", PeerCallTimeout.Migration);

    public static readonly PeerRoute Commit = new(HttpMethod.Post, Prefix + "/view-change/commit", PeerCallTimeout.Control);

    public static readonly PeerRoute Abort = new(HttpMethod.Post, Prefix + "/view-change/abort", PeerCallTimeout.Control);

    /// <summary>Which change a node is coordinating (<see cref="CoordinatorStatus"/>).</summary>
    public static readonly PeerRoute Running = new(HttpMethod.Get, Prefix + "/view-change/running", PeerCallTimeout.Control);

    /// <summary>One batch of keys from a source to their next owner.</summary>
    public static readonly PeerRoute MigrationBatch = new(HttpMethod.Post, Prefix + "/migration/batch", PeerCallTimeout.Control);

    /// <summary>Drop a batch whose acknowledgement the source never saw.</summary>
    public static readonly PeerRoute MigrationDiscard = new(HttpMethod.Post, Prefix + "/migration/discard", PeerCallTimeout.Control);

    /// <summary>The upgrade that opens a forwarding lane (see <see cref="Lanes.LaneHandshake"/>).</summary>
    public static readonly PeerRoute Lane = new(HttpMethod.Get, Prefix + "/lane", PeerCallTimeout.Control);

    /// <summary>Replicated mode: whether a node suspects a peer too, before an exclusion is proposed.</summary>
    public static readonly PeerRoute Suspects = new(HttpMethod.Post, Prefix + "/liveness/suspects", PeerCallTimeout.Control);

    /// <summary>Replicated mode: whether a node has adopted an epoch and finished the writes it began before it.</summary>
    public static readonly PeerRoute Drained = new(HttpMethod.Post, Prefix + "/replication/drained", PeerCallTimeout.Control);

    /// <summary>Replicated mode: the writes a node holds that it never heard settled (<see cref="UncertainAnswer"/>).</summary>
    public static readonly PeerRoute Uncertain = new(HttpMethod.Post, Prefix + "/replication/uncertain", PeerCallTimeout.Control);

    // The configuration log (Cluster/Consensus): open to any signed sender, because a node that is in
    // no configuration yet (new, or restarted as a new incarnation) must vote when a configuration
    // names it, and must be told of decisions. The configuration decides who counts, not the view.

    /// <summary>Phase 1 of deciding the epoch after the basis (<see cref="ConfigPrepareMessage"/>).</summary>
    public static readonly PeerRoute ConfigPrepare = new(HttpMethod.Post, Prefix + "/config/prepare", PeerCallTimeout.Control);

    /// <summary>Phase 2 (<see cref="ConfigAcceptMessage"/>).</summary>
    public static readonly PeerRoute ConfigAccept = new(HttpMethod.Post, Prefix + "/config/accept", PeerCallTimeout.Control);

    /// <summary>A decided configuration, broadcast to every member of it (<see cref="ConfigMessage"/>).</summary>
    public static readonly PeerRoute ConfigDecided = new(HttpMethod.Post, Prefix + "/config/decided", PeerCallTimeout.Control);

    /// <summary>The newest decided configuration a node knows (<see cref="ConfigLatestMessage"/>).</summary>
    public static readonly PeerRoute ConfigLatest = new(HttpMethod.Get, Prefix + "/config/latest", PeerCallTimeout.Control);
}
