namespace ShardedKvs.Client;

/// <summary>Per-call settings.</summary>
public sealed record ShardedKvsCallOptions
{
    /// <summary>Deadline of this call (all attempts); <see cref="ShardedKvsClientOptions.OperationTimeout"/> when null.</summary>
    public TimeSpan? Timeout { get; init; }
}
