namespace ShardedKvs.Aspire.Hosting;

/// <summary>A view as the nodes report it: its epoch and its members in order.</summary>
public sealed record ClusterView(long Epoch, IReadOnlyList<string> Members)
{
    /// <summary>The view string as the node API takes it: "h1:p1,h2:p2".</summary>
    public string Text => string.Join(',', Members);

    /// <summary>True when <paramref name="address"/> is a member.</summary>
    public bool Contains(string address) => Members.Contains(address, StringComparer.Ordinal);

    /// <summary>This view with <paramref name="address"/> appended (epoch unchanged: the node assigns the next).</summary>
    public ClusterView With(string address) => this with { Members = [.. Members, address] };

    /// <summary>This view without <paramref name="address"/>.</summary>
    public ClusterView Without(string address) =>
        this with { Members = [.. Members.Where(m => !string.Equals(m, address, StringComparison.Ordinal))] };

    /// <summary>
    /// The cluster's current view: the one with the highest epoch among the nodes that serve (or are
    /// changing views). Forming and idle nodes do not count. Null when no node serves.
    /// </summary>
    public static ClusterView? Current(IEnumerable<NodeViewResponse?> answers)
    {
        var newest = answers.OfType<NodeViewResponse>().Where(a => a.IsServing).MaxBy(a => a.Epoch);
        return newest is null ? null : new ClusterView(newest.Epoch, Parse(newest.View));
    }

    /// <summary>Splits "h1:p1, h2:p2" into its addresses, dropping empty entries.</summary>
    public static IReadOnlyList<string> Parse(string? view) =>
        (view ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
