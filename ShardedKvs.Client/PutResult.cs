namespace ShardedKvs.Client;

/// <summary>What a PUT did: the node's 201 or 200.</summary>
public enum PutResult
{
    /// <summary>The key was new (201).</summary>
    Created,

    /// <summary>The key existed and its value was replaced (200).</summary>
    Replaced,
}
