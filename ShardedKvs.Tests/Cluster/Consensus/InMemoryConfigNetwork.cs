using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>
/// Configuration logs that call each other in memory, each call on another task. A call the test
/// chooses to lose (<see cref="Lose"/>) never reaches its target or its answer never comes back: the
/// caller sees it only when its own deadline passes, as with a voter that does not answer in time.
/// </summary>
internal sealed class InMemoryConfigNetwork
{
    private readonly ConcurrentDictionary<string, LogNode> _nodes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a call from the first address to the second is lost (asked once per call).</summary>
    public Func<string, string, bool> Lose { get; set; } = (_, _) => false;

    /// <summary>Called with the sender and the target of every call the target handled.</summary>
    public Action<string, string> Handled { get; set; } = (_, _) => { };

    /// <summary>Starts <paramref name="nodes"/> logs, each knowing no configuration yet.</summary>
    public ImmutableArray<LogNode> Start(int nodes, TimeSpan? callTimeout = null)
    {
        var started = ImmutableArray.CreateBuilder<LogNode>(nodes);
        for (int i = 0; i < nodes; i++)
        {
            string address = $"127.0.0.1:{13801 + i}";
            var identity = new NodeIdentity(address);
            var observer = new RecordingObserver();
            var options = new NodeOptions
            {
                Address = address,
                ConfigCallTimeout = callTimeout ?? TimeSpan.FromSeconds(5),
                ConfigRetryBackoff = TimeSpan.FromMilliseconds(5),
            };
            var log = new ConfigLog(identity, new Transport(this, address), [observer], TimeProvider.System, Options.Create(options), NullLogger<ConfigLog>.Instance);
            var node = new LogNode(identity, log, observer);
            _nodes[address] = node;
            started.Add(node);
        }

        return started.MoveToImmutable();
    }

    /// <summary>The first configuration of <paramref name="nodes"/>, learned by every one of them.</summary>
    public static ClusterConfig Form(IReadOnlyList<LogNode> nodes)
    {
        ClusterConfig first = ConfigTransitions.Form([.. nodes.Select(n => n.Identity.Self)], replicationFactor: 3);
        foreach (LogNode node in nodes)
        {
            Assert.True(node.Log.Learn(first));
        }

        return first;
    }

    private sealed class Transport(InMemoryConfigNetwork network, string sender) : IConfigTransport
    {
        public Task<VoterAnswer?> PrepareAsync(string target, PrepareBallot prepare, CancellationToken cancellationToken) =>
            CallAsync(target, node => new VoterAnswer(node.Identity.Self, node.Log.OnPrepare(prepare)), cancellationToken);

        public Task<VoterAnswer?> AcceptAsync(string target, AcceptProposal accept, CancellationToken cancellationToken) =>
            CallAsync(target, node => new VoterAnswer(node.Identity.Self, node.Log.OnAccept(accept)), cancellationToken);

        public Task DecidedAsync(string target, ClusterConfig decided, CancellationToken cancellationToken) =>
            CallAsync(target, node => node.Log.Learn(decided) ? decided : null, cancellationToken);

        public Task<ClusterConfig?> LatestAsync(string target, CancellationToken cancellationToken) =>
            CallAsync(target, node => node.Log.Latest, cancellationToken);

        private async Task<T?> CallAsync<T>(string target, Func<LogNode, T?> handle, CancellationToken cancellationToken)
            where T : class
        {
            await Task.Yield();
            bool lostOnTheWay = network.Lose(sender, target);
            bool answerLost = !lostOnTheWay && network.Lose(target, sender);
            if (lostOnTheWay)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (!network._nodes.TryGetValue(target, out LogNode? node))
            {
                return null;
            }

            T? answer = handle(node);
            network.Handled(sender, target);
            await Task.Yield();
            if (answerLost)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return answer;
        }
    }
}
