using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>Sends one internal call that must be refused, and checks the refusal changed nothing:
/// the answer, the cluster's views and epochs, and no planted key.</summary>
public static class RefusedInternalCall
{
    public static async Task AssertAsync(TestCluster cluster, string method, string path, string? body, HttpStatusCode status, string error, Func<(string Target, string? Body), (string Name, string Value)[]> headersFor)
    {
        string key = Keys.OwnedBy(cluster[0], "planted");
        string resolvedPath = path.Replace("KEY", key, StringComparison.Ordinal);
        string? resolvedBody = body?.Replace("KEY", key, StringComparison.Ordinal).Replace("VIEW", cluster.InitialView, StringComparison.Ordinal);
        string before = await ClusterProbe.DescribeAsync(cluster);

        KvsResponse response = await HeaderRequests.SendAsync(
            cluster[0],
            new HttpMethod(method),
            resolvedPath,
            resolvedBody is null ? null : new StringContent(resolvedBody, Encoding.UTF8, "application/json"),
            headersFor((resolvedPath, resolvedBody)));

        ApiAssert.Is(response, status, new JsonObject { ["error"] = error });
        Assert.Equal(before, await ClusterProbe.DescribeAsync(cluster));
        await ApiAssert.IsMissingAsync(cluster[1].Client, key);
    }
}
