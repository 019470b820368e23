namespace ShardedKvs.Node;

/// <summary>
/// Node settings. ADDRESS, VIEW, CLUSTER_KEY and ADMIN_KEY come from top-level configuration
/// (environment variables, as for the reference project); the rest from the "Kvs" section.
/// </summary>
public sealed class NodeOptions
{
    public const string Section = "Kvs";

    /// <summary>This node's host:port as its peers reach it.</summary>
    public string Address { get; set; } = "";

    /// <summary>The initial view, the same comma-separated list on every node.</summary>
    public string View { get; set; } = "";

    /// <summary>Shared secret(s) that sign internal (node-to-node) calls; comma-separated during a rotation.</summary>
    public string ClusterKey { get; set; } = "";

    /// <summary>When set, administrative endpoints require it as a bearer token.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Ring tokens per node; must be the same on every node.</summary>
    public int TokensPerNode { get; set; } = ShardedKvs.Ring.TokenRing.DefaultTokensPerNode;

    public int MaxKeyLength { get; set; } = 50;

    /// <summary>Largest public request body (a PUT's JSON); larger gets 413.</summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Keys per migration batch: bounds the memory a transfer holds at once.</summary>
    public int MigrationBatchSize { get; set; } = 1000;

    /// <summary>How long one forwarded request may take before it answers 503.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening a forwarding lane to a peer (connect and upgrade) may take.</summary>
    public TimeSpan ForwardConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one control call (prepare, commit, one batch attempt) may take.</summary>
    public TimeSpan ControlTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one source may take to move all the keys it loses in a view change.</summary>
    public TimeSpan MigrationTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a source keeps retrying one batch before the migration fails.</summary>
    public TimeSpan BatchDeadline { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Failpoint for tests: a pause before each migration batch, so that a fault can be made
    /// to land mid-migration. Zero (off) unless a test sets it.</summary>
    public TimeSpan MigrationBatchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How long a request waits for its key's batch to be handed over.</summary>
    public TimeSpan HandoffWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far a signed internal call's timestamp may be from this node's clock.</summary>
    public TimeSpan SignatureSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a client may take to send its request headers (Kestrel's default is 30 s;
    /// a key-value request's headers arrive in one packet).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle kept-alive connection stays open.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Slowest accepted request body, in bytes per second after a 5 s grace period.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>Open connections a node accepts at once; further ones are refused.</summary>
    public long MaxConnections { get; set; } = 10_000;

    /// <summary>Largest internal request body (a migration batch).</summary>
    public long MaxInternalBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Keys per fill batch (one learner's batch): bounds what one call carries.</summary>
    public int FillBatchKeys { get; set; } = 1000;

    /// <summary>Bytes per fill batch: a batch ends before it would pass this (a larger single value
    /// still travels, alone). Below the 85,000 bytes from which .NET puts an array on the large object
    /// heap: the sender's and the learner's copies of a batch are then short-lived gen0 garbage. Batches
    /// of 1000 keys of 100 bytes (130 KB) cost a node four full (gen2) collections in one fill of 180,000
    /// keys per node, against none (84 against 24 ms paused; bench/failover.sh with dotnet-counters).</summary>
    public int FillBatchBytes { get; set; } = 64 * 1024;

    /// <summary>Most keys one source copies per second in a fill, so clients keep the cores; 0 copies
    /// unthrottled. At 20,000 a failover in five nodes re-replicated 57,000 keys/s with client p99 at
    /// 1.5-2.5 times its value before; at 100,000, 96,000 keys/s and 4 times (bench/failover.sh).</summary>
    public int FillKeysPerSecond { get; set; } = 20_000;

    /// <summary>How long the sources of a fill that restores lost copies (after a failover) wait before
    /// they copy, when every key is still writable: the requests held while the failure was being
    /// detected are answered first, with the cores to themselves. Under an open load of 2,000 requests/s
    /// (bench/failover-pairs.sh, RATE=2000) client p99 during the fill was 1.9-3.4 times its value
    /// before with 1 s, 4.9-39 times with 0; under a closed loop the same either way.</summary>
    public TimeSpan FillDelayAfterFailover { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often formation and restart discovery ask peers.</summary>
    public TimeSpan DiscoveryInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Copies of every key (the effective factor is min(this, placed members)). 1 runs the
    /// round-one protocol (one copy, view changes by prepare/migrate/commit); 2 or more runs the
    /// replicated one (docs/replication.md).</summary>
    public int ReplicationFactor { get; set; } = 3;

    /// <summary>In-sync replicas a write needs (never more than the effective factor): below it the
    /// primary answers 503 rather than acknowledge a write it could lose.</summary>
    public int MinInSync { get; set; } = 2;

    /// <summary>How long a peer may stay silent before this node suspects it.</summary>
    public TimeSpan SuspectAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a read lease lasts from when its heartbeat was sent.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a node heartbeats every other member (renewing leases, feeding the failure detector).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a primary waits for one replica's acknowledgement before it sends the write again.</summary>
    public TimeSpan ReplicateTimeout { get; set; } = TimeSpan.FromSeconds(1);

    public bool IsReplicated => ReplicationFactor >= 2;

    /// <summary>How long one call of the configuration log (a prepare, an accept, a broadcast, a read
    /// of a peer's newest configuration) may take; a voter slower than this counts as not answering.</summary>
    public TimeSpan ConfigCallTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest random pause before a proposal that another ballot preempted tries again
    /// (it grows with repeated preemptions, up to eight times this), so racing proposers stop dueling.</summary>
    public TimeSpan ConfigRetryBackoff { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>How often a node that has a configuration asks its peers for a newer one (a node that
    /// missed a broadcast, behind a partition, catches up this way).</summary>
    public TimeSpan ConfigCatchUpInterval { get; set; } = TimeSpan.FromSeconds(1);
}
