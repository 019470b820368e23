using System.Net;
using System.Text.Json.Nodes;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// The reference project's bodies, byte for byte in their fields, from the owner and through
/// forwarding nodes: "address" appears exactly when the answering node is not the owner, and
/// then names the owner as the view writes it. The nodes run the default, three copies per key:
/// replication adds fields (each one documented in the README) and removes none.
/// </summary>
public sealed class ReferenceMessageTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Whole_life_of_a_key_from_every_node(int ownerIndex)
    {
        TestNode owner = Cluster[ownerIndex];
        string key = Keys.OwnedBy(owner, "ref");
        TestNode[] others = Cluster.Nodes.Where(n => n != owner).ToArray();

        // Missing everywhere.
        foreach (TestNode node in Cluster.Nodes)
        {
            ApiAssert.Is(await node.Client.GetKeyAsync(key), HttpStatusCode.NotFound, Missing("Error in GET", node, owner));
            ApiAssert.Is(await node.Client.DeleteKeyAsync(key), HttpStatusCode.NotFound, Missing("Error in DELETE", node, owner));
        }

        // Added through a forwarding node, then updated through every node.
        ApiAssert.Is(await others[0].Client.PutAsync(key, "v1"), HttpStatusCode.Created, WithAddress(new JsonObject { ["message"] = "Added successfully", ["replaced"] = false }, others[0], owner));
        foreach (TestNode node in Cluster.Nodes)
        {
            ApiAssert.Is(await node.Client.PutAsync(key, $"v-{node.Address}"), HttpStatusCode.OK, WithAddress(new JsonObject { ["message"] = "Updated successfully", ["replaced"] = true }, node, owner));
        }

        string last = $"v-{Cluster.Nodes[^1].Address}";
        foreach (TestNode node in Cluster.Nodes)
        {
            ApiAssert.Is(await node.Client.GetKeyAsync(key), HttpStatusCode.OK, WithAddress(new JsonObject { ["doesExist"] = true, ["message"] = "Retrieved successfully", ["value"] = last }, node, owner));
        }

        Assert.True(owner.Store.TryGet(key, out _), "the owner holds the key");
        int copies = (await owner.Client.SendAsync(HttpMethod.Get, "/kvs/view")).Body["replicationFactor"]!.GetValue<int>();
        Assert.Equal(copies, Cluster.Nodes.Count(n => n.Store.TryGet(key, out _)));

        // Deleted through a forwarding node; then gone for every node.
        ApiAssert.Is(await others[1].Client.DeleteKeyAsync(key), HttpStatusCode.OK, WithAddress(new JsonObject { ["doesExist"] = true, ["message"] = "Deleted successfully" }, others[1], owner));
        foreach (TestNode node in Cluster.Nodes)
        {
            ApiAssert.Is(await node.Client.GetKeyAsync(key), HttpStatusCode.NotFound, Missing("Error in GET", node, owner));
            ApiAssert.Is(await node.Client.DeleteKeyAsync(key), HttpStatusCode.NotFound, Missing("Error in DELETE", node, owner));
        }

        // And it can come back as a new key.
        ApiAssert.Is(await owner.Client.PutAsync(key, "again"), HttpStatusCode.Created, new JsonObject { ["message"] = "Added successfully", ["replaced"] = false });
    }

    [Fact]
    public async Task Key_count_answers_the_reference_body_with_this_node_s_keys()
    {
        foreach (TestNode node in Cluster.Nodes)
        {
            // The keys this node is primary for (every node is in sync here, so the ring's owner), and
            // apart from them the copies it keeps for other primaries.
            int primaries = node.Store.Entries.Count(e => Keys.OwnerOf(node, e.Key) == node.Address);
            KvsResponse response = await node.Client.SendAsync(HttpMethod.Get, "/kvs/key-count");
            ApiAssert.Is(response, HttpStatusCode.OK, new JsonObject
            {
                ["message"] = "Key count retrieved successfully",
                ["key-count"] = primaries,
                ["replica-key-count"] = node.Store.Count - primaries,
            });
        }
    }

    [Fact]
    public async Task View_answers_epoch_view_and_state()
    {
        foreach (TestNode node in Cluster.Nodes)
        {
            KvsResponse response = await node.Client.SendAsync(HttpMethod.Get, "/kvs/view");
            JsonArray members = response.Body["members"]!.AsArray();
            Assert.Equal(Cluster.InitialView.Split(','), members.Select(m => m!["address"]!.GetValue<string>()));
            Assert.All(members, m => Assert.Equal("serving", m!["state"]!.GetValue<string>()));
            ApiAssert.Is(response, HttpStatusCode.OK, new JsonObject
            {
                ["message"] = "View retrieved successfully",
                ["address"] = node.Address,
                ["state"] = "serving",
                ["epoch"] = 1,
                ["view"] = Cluster.InitialView,
                ["tokensPerNode"] = 256,
                ["replicationFactor"] = 3,
                ["members"] = members.DeepClone(),
                ["placement"] = new JsonArray([.. Cluster.InitialView.Split(',').Select(a => (JsonNode)a)]),
            });
        }
    }

    private static JsonObject Missing(string message, TestNode answering, TestNode owner) =>
        WithAddress(new JsonObject { ["doesExist"] = false, ["error"] = "Key does not exist", ["message"] = message }, answering, owner);

    private static JsonObject WithAddress(JsonObject body, TestNode answering, TestNode owner)
    {
        if (answering != owner)
        {
            body["address"] = owner.Address;
        }

        return body;
    }
}
