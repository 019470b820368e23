using System.Net;
using System.Text.RegularExpressions;
using k8s.Models;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// deploy/compose.yaml agrees with itself: each node's ADDRESS is its fixed address on the subnet
/// at port 13800, and every node has the same VIEW of those addresses. (`.ci/run` checks the file
/// against Compose's own schema with `docker-compose config -q`.)
/// </summary>
public sealed partial class ComposeFileTests
{
    private const string NodePort = "13800";

    [Fact]
    public void Every_node_has_its_fixed_subnet_address_on_port_13800_and_the_same_view()
    {
        Dictionary<object, object> compose = Load();
        var services = (Dictionary<object, object>)compose["services"];
        var subnet = IPNetwork.Parse(Subnet(compose));
        var addresses = new List<string>();
        var views = new HashSet<string>(StringComparer.Ordinal);

        foreach ((object name, object value) in services)
        {
            var service = (Dictionary<object, object>)value;
            var environment = (Dictionary<object, object>)service["environment"];
            var network = (Dictionary<object, object>)((Dictionary<object, object>)service["networks"])["kvs"];
            string ip = (string)network["ipv4_address"];

            Assert.True(subnet.Contains(IPAddress.Parse(ip)), $"{name}: {ip} is not in {subnet}");
            Assert.Equal($"{ip}:{NodePort}", environment["ADDRESS"]);
            Assert.EndsWith($":{NodePort}", Assert.Single((List<object>)service["ports"]).ToString(), StringComparison.Ordinal);
            Assert.Matches(RequiredVariable(), (string)environment["CLUSTER_KEY"]);
            Assert.Matches(RequiredVariable(), (string)environment["ADMIN_KEY"]);
            addresses.Add((string)environment["ADDRESS"]);
            views.Add((string)environment["VIEW"]);
        }

        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        string view = Assert.Single(views);
        Assert.True(ViewParser.TryParse(view, out var members, out string? error), error);
        Assert.True(members.Length >= 3, "the initial view has at least three nodes");
        Assert.All(members, member => Assert.Contains(member, addresses));
    }

    [Fact]
    public void Compose_and_kubernetes_keep_the_same_copies_of_every_key()
    {
        var services = (Dictionary<object, object>)Load()["services"];
        V1Container node = Assert.Single(KubernetesManifests.Load<V1StatefulSet>("statefulset.yaml").Spec.Template.Spec.Containers);
        foreach (string setting in new[] { "Kvs__ReplicationFactor", "Kvs__MinInSync" })
        {
            string kubernetes = Assert.Single(node.Env, e => e.Name == setting).Value;
            Assert.All(services.Values, service => Assert.Equal(kubernetes, ((Dictionary<object, object>)((Dictionary<object, object>)service)["environment"])[setting]));
        }

        Assert.Equal("3", Assert.Single(node.Env, e => e.Name == "Kvs__ReplicationFactor").Value);
    }

    [Fact]
    public void Compose_and_kubernetes_run_the_image_build_sh_makes()
    {
        Match tag = BuildTag().Match(RepositoryFiles.Read("deploy/image/build.sh"));
        Assert.True(tag.Success, "build.sh sets tag=${TAG:-...}");
        string image = $"shardedkvs-node:{tag.Groups[1].Value}";
        var services = (Dictionary<object, object>)Load()["services"];

        Assert.All(services.Values, service => Assert.Equal(image, ((Dictionary<object, object>)service)["image"]));
        Assert.Equal(image, Assert.Single(KubernetesManifests.Load<V1StatefulSet>("statefulset.yaml").Spec.Template.Spec.Containers).Image);
    }

    private static Dictionary<object, object> Load()
    {
        using var reader = new StringReader(RepositoryFiles.Read("deploy/compose.yaml"));

        // The file shares the node settings through an anchor and merge keys (<<: *node).
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
    }

    private static string Subnet(Dictionary<object, object> compose)
    {
        var network = (Dictionary<object, object>)((Dictionary<object, object>)compose["networks"])["kvs"];
        var config = (List<object>)((Dictionary<object, object>)network["ipam"])["config"];
        return (string)((Dictionary<object, object>)Assert.Single(config))["subnet"];
    }

    [GeneratedRegex(@"^\$\{[A-Z_]+:\?.+\}$")]
    private static partial Regex RequiredVariable();

    [GeneratedRegex(@"tag=\$\{TAG:-([^}]+)\}")]
    private static partial Regex BuildTag();
}
