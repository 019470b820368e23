using System.Text.Json.Serialization;

namespace ShardedKvs.Client.Transport;

/// <summary>One member of a replicated cluster as GET /kvs/view shows it.</summary>
/// <param name="State">serving, leaving (in sync: may be a key's primary), learner (being filled) or excluded (declared dead).</param>
internal sealed record MemberAnswer(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("state")] string? State)
{
    /// <summary>Holds complete copies of the keys it is placed for: only such a member is a primary.</summary>
    public bool IsInSync => State is "serving" or "leaving";
}
