using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// Names the keys that are not on exactly their replicas, all at one version: asks every live node what it holds
/// (<c>GET /internal/copies</c>, signed) and compares each key's holders with its replicas on the ring
/// of the configuration's placement (as the first live node's view lists it). A failed placement check prints
/// this, so the key can be followed in the node logs.
/// </summary>
public static class PlacementAudit
{
    public static async Task<IReadOnlyList<string>> MisplacedAsync(IRunningNodes cluster, IReadOnlyList<int> live, int replicationFactor)
    {
        var holders = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var versions = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (int node in live)
        {
            JsonObject copies = await CopiesOfAsync(cluster, node);
            foreach (JsonNode? copy in copies["keys"]!.AsArray())
            {
                string key = copy!["key"]!.GetValue<string>();
                if (!holders.TryGetValue(key, out List<string>? held))
                {
                    holders[key] = held = [];
                }

                long version = copy["version"]!.GetValue<long>();
                held.Add($"{node} (v{version}, epoch {copies["epoch"]})");
                if (!versions.TryGetValue(key, out HashSet<long>? seen))
                {
                    versions[key] = seen = [];
                }

                seen.Add(version);
            }
        }

        JsonObject view = await cluster.ViewAsync(live[0]) ?? throw new InvalidOperationException($"node {live[0]} did not show its view");
        string[] placement = [.. view["placement"]!.AsArray().Select(a => a!.GetValue<string>())];
        var ring = new TokenRing([.. placement], replicationFactor: replicationFactor);
        var misplaced = new List<string>();
        foreach ((string key, List<string> held) in holders.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            int[] replicas = [.. ring.ReplicasOf(key).Select(a => Array.IndexOf(cluster.Addresses, a))];
            int[] holding = [.. held.Select(h => int.Parse(h[..h.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture))];
            // Copies at different versions differ in value: a write that some replicas took and others never did.
            if (!replicas.Order().SequenceEqual(holding.Order()) || versions[key].Count > 1)
            {
                misplaced.Add($"{key}: its replicas are nodes {string.Join(", ", replicas)} (placement {string.Join(",", placement)}); held by {string.Join("; ", held)}");
            }
        }

        return misplaced;
    }

    private static async Task<JsonObject> CopiesOfAsync(IRunningNodes cluster, int node)
    {
        string self = cluster.Addresses[node];
        using var request = new HttpRequestMessage(HttpMethod.Get, PeerRoutes.Copies.Path);
        foreach ((string name, string value) in Signatures.Headers("GET", PeerRoutes.Copies.Path, body: null, self, cluster.ClusterKey))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using HttpResponseMessage response = await cluster.Clients[node].SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(text)!.AsObject()
            : throw new InvalidOperationException($"node {node} did not list its copies: {(int)response.StatusCode} {text}");
    }
}
