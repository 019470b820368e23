using System.Globalization;
using k8s;
using k8s.Models;
using ShardedKvs.Ring;
using ShardedKvs.ServiceDefaults;
using ShardedKvs.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// Offline checks of deploy/kubernetes (no API server here): every manifest is a valid Kubernetes
/// object, and the pieces agree with each other and with the node, the way a cluster would need.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const int NodePort = 13800;
    private const string NodeComponent = "node";

    private static V1StatefulSet Nodes => KubernetesManifests.Load<V1StatefulSet>("statefulset.yaml");

    private static V1Service Headless => KubernetesManifests.Load<V1Service>("service-headless.yaml");

    private static V1Service ClientService => KubernetesManifests.Load<V1Service>("service-client.yaml");

    private static V1Job ViewChangeJob => KubernetesManifests.Load<V1Job>("jobs/view-change.yaml");

    private static V1Container NodeContainer => Assert.Single(Nodes.Spec.Template.Spec.Containers);

    [Fact]
    public void Every_manifest_is_one_kubernetes_resource_without_unknown_fields()
    {
        string[] files = [.. KubernetesManifests.ResourceFiles()];
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            List<object> objects;
            try
            {
                objects = KubernetesManifests.ParseStrict(RepositoryFiles.Read(file));
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{file} is not a valid Kubernetes manifest: {e.Message}");
            }

            var resource = Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(Assert.Single(objects));
            Assert.False(string.IsNullOrEmpty(resource.Metadata?.Name), $"{file} has no metadata.name");
        }
    }

    [Fact]
    public void Strict_parsing_rejects_a_misspelled_field()
    {
        string text = RepositoryFiles.Read($"{KubernetesManifests.Folder}/statefulset.yaml");
        string misspelled = text.Replace("  podManagementPolicy: Parallel", "  podManagmentPolicy: Parallel", StringComparison.Ordinal);
        Assert.NotEqual(text, misspelled);

        Assert.ThrowsAny<Exception>(() => KubernetesManifests.ParseStrict(misspelled));
    }

    [Fact]
    public void Kustomization_applies_every_resource_except_the_on_demand_jobs()
    {
        YamlMappingNode kustomization = KubernetesManifests.Kustomization();
        string[] listed = [.. ((YamlSequenceNode)kustomization["resources"]).Select(n => ((YamlScalarNode)n).Value!).Order(StringComparer.Ordinal)];
        string[] files = [.. KubernetesManifests.ResourceFiles()
            .Select(f => f[(KubernetesManifests.Folder.Length + 1)..])
            .Where(f => !f.StartsWith("jobs/", StringComparison.Ordinal))];

        Assert.Equal(files, listed);
    }

    [Fact]
    public void Pods_get_stable_names_from_the_headless_service_and_start_in_parallel()
    {
        Assert.Equal(Headless.Metadata.Name, Nodes.Spec.ServiceName);
        Assert.Equal("None", Headless.Spec.ClusterIP);
        Assert.True(Headless.Spec.PublishNotReadyAddresses, "peers must resolve a pod before it is ready (formation, joining)");
        Assert.Equal("Parallel", Nodes.Spec.PodManagementPolicy);
    }

    [Fact]
    public void Probes_are_the_node_liveness_and_readiness_endpoints_on_its_port()
    {
        V1Container node = NodeContainer;

        Assert.Equal(HealthEndpoints.AlivePath, node.LivenessProbe.HttpGet.Path);
        Assert.Equal(HealthEndpoints.HealthPath, node.ReadinessProbe.HttpGet.Path);
        Assert.Equal(NodePort, PortNumber(node, node.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(NodePort, PortNumber(node, node.ReadinessProbe.HttpGet.Port.Value));
    }

    [Fact]
    public void Address_is_the_pod_name_under_the_headless_service_on_the_node_port()
    {
        IList<V1EnvVar> env = NodeContainer.Env;
        int podName = IndexOf(env, "POD_NAME");
        int podNamespace = IndexOf(env, "POD_NAMESPACE");
        int address = IndexOf(env, "ADDRESS");

        Assert.Equal("metadata.name", env[podName].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env[podNamespace].ValueFrom.FieldRef.FieldPath);
        Assert.Equal($"$(POD_NAME).{Nodes.Spec.ServiceName}.$(POD_NAMESPACE).svc.cluster.local:{NodePort}", env[address].Value);

        // Kubernetes expands $(VAR) only for variables defined earlier in the list.
        Assert.True(podName < address && podNamespace < address, "POD_NAME and POD_NAMESPACE must come before ADDRESS");
    }

    [Fact]
    public void Initial_view_is_every_initial_replica_by_its_stable_name()
    {
        IList<V1EnvVar> env = NodeContainer.Env;
        string view = env[IndexOf(env, "VIEW")].Value;
        Assert.True(IndexOf(env, "POD_NAMESPACE") < IndexOf(env, "VIEW"), "POD_NAMESPACE must come before VIEW");

        // As the pods see it once Kubernetes expanded the namespace.
        string expanded = view.Replace("$(POD_NAMESPACE)", "shop", StringComparison.Ordinal);
        Assert.True(ViewParser.TryParse(expanded, out var nodes, out string? error), error);
        string[] expected = [.. Enumerable.Range(0, Nodes.Spec.Replicas!.Value)
            .Select(i => $"{Nodes.Metadata.Name}-{i}.{Nodes.Spec.ServiceName}.shop.svc.cluster.local:{NodePort}")];
        Assert.Equal(expected, nodes);

        var scale = KubernetesManifests.Load<V1ConfigMap>("configmap-scale.yaml");
        Assert.Equal(Nodes.Spec.Replicas.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), scale.Data["replicas"]);
    }

    [Fact]
    public void Every_port_is_the_node_port()
    {
        V1ContainerPort port = Assert.Single(NodeContainer.Ports);
        Assert.Equal(NodePort, port.ContainerPort);
        foreach (V1Service service in new[] { Headless, ClientService })
        {
            V1ServicePort servicePort = Assert.Single(service.Spec.Ports);
            Assert.Equal(NodePort, servicePort.Port);
            Assert.Equal(NodePort, PortNumber(NodeContainer, servicePort.TargetPort.Value));
        }
    }

    [Fact]
    public void Services_and_the_disruption_budget_select_exactly_the_node_pods()
    {
        IDictionary<string, string> podLabels = Nodes.Spec.Template.Metadata.Labels;
        IDictionary<string, string> jobPodLabels = ViewChangeJob.Spec.Template.Metadata.Labels;
        var budget = KubernetesManifests.Load<V1PodDisruptionBudget>("poddisruptionbudget.yaml");

        Assert.True(Matches(Nodes.Spec.Selector.MatchLabels, podLabels), "the StatefulSet's selector must match its pods");
        foreach ((string name, IDictionary<string, string> selector) in new[]
        {
            ("headless Service", Headless.Spec.Selector),
            ("client Service", ClientService.Spec.Selector),
            ("PodDisruptionBudget", budget.Spec.Selector.MatchLabels),
        })
        {
            Assert.True(Matches(selector, podLabels), $"the {name} must select the node pods");
            Assert.False(Matches(selector, jobPodLabels), $"the {name} must not select the view-change Job's pod");
            Assert.Equal(NodeComponent, selector["app.kubernetes.io/component"]);
        }
    }

    [Fact]
    public void Nodes_keep_three_copies_of_every_key_from_the_first_view()
    {
        Assert.Equal(3, NodeSetting("Kvs__ReplicationFactor"));
        Assert.InRange(NodeSetting("Kvs__MinInSync"), 2, NodeSetting("Kvs__ReplicationFactor"));

        // Every key has its R copies from formation on, and a failover has a majority to decide it.
        Assert.True(Nodes.Spec.Replicas >= NodeSetting("Kvs__ReplicationFactor"), "the initial view holds at least R pods");
        Assert.True(Nodes.Spec.Replicas >= 3, "failover needs a majority of at least three members");
    }

    [Fact]
    public void Disruption_budget_matches_what_replication_tolerates()
    {
        var budget = KubernetesManifests.Load<V1PodDisruptionBudget>("poddisruptionbudget.yaml");
        int pods = Nodes.Spec.Replicas!.Value;
        int factor = NodeSetting("Kvs__ReplicationFactor");
        int minInSync = NodeSetting("Kvs__MinInSync");

        // One of the two, as a count: a percentage would round differently as the StatefulSet grows.
        Assert.True(budget.Spec.MaxUnavailable is null != budget.Spec.MinAvailable is null, "exactly one of maxUnavailable and minAvailable");
        int maxDown = budget.Spec.MaxUnavailable is { } max
            ? int.Parse(max.Value, CultureInfo.InvariantCulture)
            : pods - int.Parse(budget.Spec.MinAvailable!.Value, CultureInfo.InvariantCulture);

        // Evictions may proceed at all, never take a key below the copies a write needs (so below
        // R - 1 as well), and always leave the majority that decides a failover.
        Assert.InRange(maxDown, 1, factor - minInSync);
        Assert.True(maxDown <= factor - 1, $"{maxDown} pods down could hold every copy of some key");
        Assert.True(pods - maxDown >= (pods / 2) + 1, $"{pods - maxDown} of {pods} pods left up are not a majority");
    }

    [Fact]
    public void Rolling_updates_take_one_pod_at_a_time_and_wait_for_readiness()
    {
        // The StatefulSet controller replaces the next pod only once the previous one is ready, and
        // readiness (the node's /health) holds while a restarted pod is a learner being filled.
        Assert.Equal("RollingUpdate", Nodes.Spec.UpdateStrategy.Type);
        Assert.Null(Nodes.Spec.UpdateStrategy.RollingUpdate?.MaxUnavailable);
        Assert.Equal(HealthEndpoints.HealthPath, NodeContainer.ReadinessProbe.HttpGet.Path);
    }

    [Fact]
    public void Every_secret_key_referenced_is_one_the_kustomization_generates()
    {
        YamlMappingNode generator = (YamlMappingNode)Assert.Single((YamlSequenceNode)KubernetesManifests.Kustomization()["secretGenerator"]);
        string secretName = ((YamlScalarNode)generator["name"]).Value!;
        string envFile = ((YamlScalarNode)Assert.Single((YamlSequenceNode)generator["envs"])).Value!;
        Assert.Equal("true", ((YamlScalarNode)((YamlMappingNode)generator["options"])["disableNameSuffixHash"]).Value);
        IReadOnlySet<string> keys = KubernetesManifests.EnvFileKeys(envFile + ".example");

        V1SecretKeySelector[] references = [.. NodeContainer.Env.Concat(Assert.Single(ViewChangeJob.Spec.Template.Spec.Containers).Env)
            .Select(e => e.ValueFrom?.SecretKeyRef)
            .OfType<V1SecretKeySelector>()];
        Assert.Equal(3, references.Length); // CLUSTER_KEY and ADMIN_KEY on the nodes, ADMIN_KEY in the Job
        foreach (V1SecretKeySelector reference in references)
        {
            Assert.Equal(secretName, reference.Name);
            Assert.Contains(reference.Key, keys);
        }

        Assert.Equal(["CLUSTER_KEY", "ADMIN_KEY"], NodeContainer.Env.Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.Name));
    }

    [Fact]
    public void View_change_job_builds_the_view_from_the_replica_count_and_the_stable_names()
    {
        V1Container job = Assert.Single(ViewChangeJob.Spec.Template.Spec.Containers);
        var scale = KubernetesManifests.Load<V1ConfigMap>("configmap-scale.yaml");
        V1ConfigMapKeySelector replicas = job.Env[IndexOf(job.Env, "REPLICAS")].ValueFrom.ConfigMapKeyRef;
        string script = Assert.Single(job.Args);

        Assert.Equal(scale.Metadata.Name, replicas.Name);
        Assert.Contains(replicas.Key, scale.Data.Keys);
        Assert.Equal("metadata.namespace", job.Env[IndexOf(job.Env, "POD_NAMESPACE")].ValueFrom.FieldRef.FieldPath);
        Assert.Contains($"{Nodes.Metadata.Name}-$1.{Nodes.Spec.ServiceName}.$POD_NAMESPACE.svc.cluster.local:{NodePort}", script, StringComparison.Ordinal);
        Assert.Contains($"/{HealthEndpoints.AlivePath.TrimStart('/')}\"", script, StringComparison.Ordinal);
        Assert.Contains("/kvs/view-change", script, StringComparison.Ordinal);
        Assert.Contains("Authorization: Bearer $ADMIN_KEY", script, StringComparison.Ordinal);
        Assert.Equal("Never", ViewChangeJob.Spec.Template.Spec.RestartPolicy);
    }

    /// <summary>A numeric node setting the StatefulSet sets explicitly.</summary>
    private static int NodeSetting(string name) =>
        int.Parse(NodeContainer.Env[IndexOf(NodeContainer.Env, name)].Value, CultureInfo.InvariantCulture);

    private static int IndexOf(IList<V1EnvVar> env, string name)
    {
        int index = env.ToList().FindIndex(e => e.Name == name);
        Assert.True(index >= 0, $"no {name} in the environment");
        return index;
    }

    /// <summary>A port given by number or by the name of one of the container's ports.</summary>
    private static int PortNumber(V1Container container, string port) =>
        int.TryParse(port, out int number) ? number : Assert.Single(container.Ports, p => p.Name == port).ContainerPort;

    private static bool Matches(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(pair => labels.TryGetValue(pair.Key, out string? value) && value == pair.Value);
}
