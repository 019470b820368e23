namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// A ShardedKvs cluster as one resource. Its nodes are project resources of their own (its children
/// in the dashboard); this resource carries what apps need: a connection string naming every node as
/// a seed (<c>Endpoints=localhost:13801,localhost:13802,...</c>), a state that turns Running once the
/// initial view's nodes run, and a health check that is Healthy while the view serves.
/// </summary>
public sealed class ShardedKvsResource(string name) : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    private readonly List<ReferenceExpression> _addresses = [];
    private readonly List<string> _nodeNames = [];

    /// <summary>Every node's address (host:port) as it appears in views, node-1 first.</summary>
    public IReadOnlyList<ReferenceExpression> Addresses => _addresses;

    /// <summary>Resource names of the nodes, node-1 first.</summary>
    public IReadOnlyList<string> NodeNames => _nodeNames;

    /// <summary>How many of the nodes (the first ones) form the initial view.</summary>
    public int InitialViewSize { get; internal set; }

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            builder.AppendLiteral("Endpoints=");
            for (var i = 0; i < _addresses.Count; i++)
            {
                if (i > 0)
                {
                    builder.AppendLiteral(",");
                }

                builder.Append($"{_addresses[i]}");
            }

            return builder.Build();
        }
    }

    internal void AddNode(string resourceName, ReferenceExpression address)
    {
        _nodeNames.Add(resourceName);
        _addresses.Add(address);
    }
}
