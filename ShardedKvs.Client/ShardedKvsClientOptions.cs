namespace ShardedKvs.Client;

/// <summary>How a <see cref="ShardedKvsClient"/> finds the cluster and how long it tries.</summary>
public sealed class ShardedKvsClientOptions
{
    /// <summary>
    /// Seed nodes ("host:port"). The client asks them for the current view once, then talks to the
    /// view's members directly; any one seed that serves is enough.
    /// </summary>
    public IList<string> Endpoints { get; } = [];

    /// <summary>Longest a whole call (every attempt and the waits between them) may take, unless the call sets its own.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Longest one attempt may take. Longer than a node's forward timeout (5 s), so a node that
    /// forwards still answers before the client gives up on it.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Longest opening a connection to a node may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest one node may take to answer GET /kvs/view.</summary>
    public TimeSpan ViewTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts per call, the first included, for failures the retry rules allow to retry.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Wait before the second attempt; it doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Ring tokens per node when a node's view answer does not say (older nodes).</summary>
    public int DefaultTokensPerNode { get; set; } = Ring.TokenRing.DefaultTokensPerNode;

    /// <summary>Checks the values; throws <see cref="InvalidOperationException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Endpoints.Count == 0)
        {
            throw new InvalidOperationException("ShardedKvs client: no endpoints. Set Endpoints or a connection string \"Endpoints=host:port,...\".");
        }

        foreach (string endpoint in Endpoints)
        {
            if (!Ring.ViewParser.IsValidAddress(endpoint))
            {
                throw new InvalidOperationException($"ShardedKvs client: endpoint '{endpoint}' is not host:port.");
            }
        }

        if (MaxAttempts < 1)
        {
            throw new InvalidOperationException($"ShardedKvs client: MaxAttempts must be at least 1 (it is {MaxAttempts}).");
        }

        if (OperationTimeout <= TimeSpan.Zero || AttemptTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero || ViewTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("ShardedKvs client: every timeout must be positive.");
        }
    }
}
