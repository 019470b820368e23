using System.Diagnostics;
using System.Net;
using k8s.Models;
using ShardedKvs.ServiceDefaults;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Deployment;

/// <summary>
/// The Kubernetes deployment as far as this machine allows without a cluster: every pod is a host
/// of its own whose environment is the StatefulSet's, expanded as the kubelet would (ADDRESS from
/// the pod name and the headless Service), the names resolving as the headless Service's DNS
/// would (including not-ready pods), and the scaling Job's own script, run with `sh` and `curl`,
/// adding a pod after a scale-out and draining two before a scale-in.
/// </summary>
[Collection(NetworkNamespaceCollection.Name)]
public sealed class KubernetesScalingTests(PublishedNodeFixture published, ITestOutputHelper output)
{
    private const string Namespace = "shop";
    private const int Keys = 60;
    private const int Ok = 200;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    private static readonly Dictionary<string, string> SecretKeys = new()
    {
        ["cluster-key"] = HostCluster.ClusterKey,
        ["admin-key"] = HostCluster.AdminKey,
    };

    [PublishedNodeFact]
    public async Task Pods_with_the_statefulset_environment_form_and_the_view_change_job_scales_out_and_in()
    {
        V1StatefulSet nodes = KubernetesManifests.Load<V1StatefulSet>("statefulset.yaml");
        int replicas = nodes.Spec.Replicas!.Value;
        int pods = replicas + 1; // one more pod, as after `kubectl scale --replicas=4`
        int jobPod = pods;       // and a host for the Job's pod
        using var network = new NetworkNamespaces(hosts: pods + 1);
        network.SetHostNames(host => host < pods ? $"{PodName(nodes, host)}.{nodes.Spec.ServiceName}.{Namespace}.svc.cluster.local" : "view-change-job");
        V1Container node = Assert.Single(nodes.Spec.Template.Spec.Containers);
        int factor = int.Parse(node.Env.Single(e => e.Name == "Kvs__ReplicationFactor").Value, System.Globalization.CultureInfo.InvariantCulture);
        await using var cluster = new HostCluster(network, await published.ExecutableAsync(), hosts: pods, factor);

        for (int pod = 0; pod < pods; pod++)
        {
            Dictionary<string, string> env = PodEnvironment.Expand(node.Env, Fields(PodName(nodes, pod)), SecretKeys);
            output.WriteLine($"{PodName(nodes, pod)}: ADDRESS={env["ADDRESS"]}");
            cluster.Start(pod, env);
        }

        for (int pod = 0; pod < pods; pod++)
        {
            await cluster.WaitForAsync(pod, pod < replicas ? HealthEndpoints.HealthPath : HealthEndpoints.AlivePath, Ok);
        }

        Assert.Equal((int)HttpStatusCode.ServiceUnavailable, (await cluster.ProbeAsync(replicas, HealthEndpoints.HealthPath))?.Status);
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await cluster.Clients[i % replicas].PutAsync($"key{i}", $"value{i}")).Status);
        }

        // Scale-out: the Job adds the new pod; it receives keys and becomes ready.
        await RunViewChangeJobAsync(network, jobPod, replicas: pods);
        await cluster.WaitForAsync(replicas, HealthEndpoints.HealthPath, Ok);
        int[] afterOut = await KeyCountsOnceTheyAddUpAsync(cluster, pods);
        output.WriteLine($"after scale-out: {string.Join(", ", afterOut)}");
        Assert.True(afterOut[replicas] > 0, "the added pod received keys");
        await AssertEveryKeyReadableAsync(cluster, through: pods);

        // Scale-in to 2: the Job drains the two highest ordinals, which go idle (not ready) holding nothing.
        await RunViewChangeJobAsync(network, jobPod, replicas: 2);
        for (int pod = 2; pod < pods; pod++)
        {
            await cluster.WaitForAsync(pod, HealthEndpoints.HealthPath, (int)HttpStatusCode.ServiceUnavailable);
            Assert.Equal(0, await cluster.Clients[pod].KeyCountAsync());
        }

        await KeyCountsOnceTheyAddUpAsync(cluster, 2);
        await AssertEveryKeyReadableAsync(cluster, through: 2);
    }

    /// <summary>The primary counts of pods 0..<paramref name="pods"/>-1, once every pod runs the
    /// configuration the view change switched to and they add up to every key.</summary>
    private static Task<int[]> KeyCountsOnceTheyAddUpAsync(HostCluster cluster, int pods) =>
        Eventually.Until(
            $"the key counts of {pods} pods to add up to {Keys}",
            TimeSpan.FromSeconds(30),
            _ => Task.WhenAll(Enumerable.Range(0, pods).Select(p => cluster.Clients[p].KeyCountAsync())),
            counts => counts.Sum() == Keys);

    private static async Task AssertEveryKeyReadableAsync(HostCluster cluster, int through)
    {
        for (int i = 0; i < Keys; i++)
        {
            KvsResponse read = await cluster.Clients[i % through].GetKeyAsync($"key{i}");
            Assert.True(read.Status == HttpStatusCode.OK, $"key{i}: {read}");
            Assert.Equal($"value{i}", read.Field("value"));
        }
    }

    private static string PodName(V1StatefulSet nodes, int ordinal) => $"{nodes.Metadata.Name}-{ordinal}";

    private static Dictionary<string, string> Fields(string podName) => new()
    {
        ["metadata.name"] = podName,
        ["metadata.namespace"] = Namespace,
    };

    /// <summary>Runs the Job's container command (its script, with `sh` and `curl`) on the Job's host.</summary>
    private async Task RunViewChangeJobAsync(NetworkNamespaces network, int host, int replicas)
    {
        V1Job job = KubernetesManifests.Load<V1Job>("jobs/view-change.yaml");
        V1Container container = Assert.Single(job.Spec.Template.Spec.Containers);
        Dictionary<string, string> env = PodEnvironment.Expand(container.Env, Fields("kvs-view-change-x1"), SecretKeys,
            new Dictionary<string, string> { ["replicas"] = replicas.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        string tmp = Directory.CreateTempSubdirectory("kvs-job-").FullName;
        try
        {
            var start = new ProcessStartInfo("ip", ["netns", "exec", network.NamespaceOf(host), .. container.Command, .. container.Args])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment.Clear();
            start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            start.Environment["TMPDIR"] = tmp;
            foreach ((string name, string value) in env)
            {
                start.Environment[name] = value;
            }

            using Process run = Process.Start(start)!;
            Task<string> stdout = run.StandardOutput.ReadToEndAsync();
            Task<string> stderr = run.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(JobTimeout);
            try
            {
                await run.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                run.Kill(entireProcessTree: true);
                throw new TimeoutException($"the view-change Job did not finish within {JobTimeout}: {await stdout}{await stderr}");
            }

            string log = (await stdout) + (await stderr);
            output.WriteLine($"Job (REPLICAS={replicas}) exited {run.ExitCode}:\n{log}");
            Assert.True(run.ExitCode == 0, $"the view-change Job failed ({run.ExitCode}): {log}");
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }
}
