using System.Text.Json;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Tests.Cluster.Configuration;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>The configuration log's JSON: every decided field survives the wire, and a body that is not
/// a configuration is refused with the reason rather than half-built.</summary>
public class ConfigMessagesTests
{
    public static TheoryData<string> Configurations => [.. Samples().Keys];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void A_configuration_survives_the_wire_equal_to_itself(string name)
    {
        ClusterConfig config = Samples()[name];

        ClusterConfig back = RoundTrip(config);

        Assert.True(config.Equals(back), $"{config}\n{back}");
        Assert.Equal(config.IsFilling, back.IsFilling);
        Assert.Equal(string.Join(",", config.Target), string.Join(",", back.Target));
        Assert.Equal(string.Join(",", config.Voters), string.Join(",", back.Voters));
    }

    [Fact]
    public void The_trace_context_of_the_proposal_travels_with_the_configuration_it_decided()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        ClusterConfig formed = ConfigTransitionsTests.Formed(4);
        ClusterConfig excluded = ConfigTransitions.Apply(formed, new ConfigChange.Exclude(ConfigTransitionsTests.Member(1)) { TraceParent = traceParent }).Next!;

        ClusterConfig back = RoundTrip(excluded);

        Assert.Equal(traceParent, excluded.TraceParent);
        Assert.Equal(traceParent, back.TraceParent);
        Assert.Null(RoundTrip(formed).TraceParent);
    }

    [Fact]
    public void A_trace_context_that_is_not_a_traceparent_is_refused()
    {
        string json = JsonSerializer.Serialize(ConfigMessage.From(ConfigTransitionsTests.Formed(3)) with { TraceParent = "not-a-trace" }, PeerJsonContext.Default.ConfigMessage);
        ConfigMessage message = JsonSerializer.Deserialize(json, PeerJsonContext.Default.ConfigMessage)!;

        Assert.False(message.TryToConfig(out _, out string? error));
        Assert.Equal("A configuration's trace context is a W3C traceparent", error);
    }

    [Fact]
    public void A_vote_survives_the_wire_with_the_voter_and_what_it_accepted()
    {
        ClusterConfig basis = ConfigTransitionsTests.Formed(3);
        ClusterConfig accepted = ConfigTransitions.Apply(basis, new ConfigChange.Exclude(ConfigTransitionsTests.Member(1))).Next!;
        var vote = new Vote(VoteKind.Promised, new Ballot(7, "127.0.0.1:1#2a"), new Ballot(5, "127.0.0.1:2#3b"), accepted);
        PlacedMember voter = ConfigTransitionsTests.Member(2, incarnation: long.MaxValue - 3);

        string json = JsonSerializer.Serialize(ConfigVoteMessage.From(voter, vote), PeerJsonContext.Default.ConfigVoteMessage);
        VoterAnswer? answer = JsonSerializer.Deserialize(json, PeerJsonContext.Default.ConfigVoteMessage)!.ToAnswer();

        Assert.Contains("\"kind\":\"Promised\"", json, StringComparison.Ordinal);
        Assert.NotNull(answer);
        Assert.Equal(voter, answer.Voter);
        Assert.Equal(vote.Kind, answer.Vote.Kind);
        Assert.Equal(vote.Promised, answer.Vote.Promised);
        Assert.Equal(vote.AcceptedBallot, answer.Vote.AcceptedBallot);
        Assert.Equal(accepted, answer.Vote.AcceptedValue);
        Assert.Null(answer.Vote.Decided);
    }

    [Theory]
    [InlineData("""{"epoch":2,"replicationFactor":3,"view":["127.0.0.1:9"],"members":[{"address":"127.0.0.1:1","incarnation":1,"excluded":false}],"placement":[],"fillEpoch":0,"filled":[]}""", "Every address of a configuration's view is one of its members")]
    [InlineData("""{"epoch":2,"replicationFactor":3,"view":["127.0.0.1:1"],"members":[{"address":"127.0.0.1:1","incarnation":1,"excluded":false},{"address":"127.0.0.1:1","incarnation":2,"excluded":false}],"placement":[],"fillEpoch":0,"filled":[]}""", "A configuration names each member once")]
    [InlineData("""{"epoch":2,"replicationFactor":0,"view":[],"members":[],"placement":[],"fillEpoch":0,"filled":[]}""", "A configuration needs an epoch of at least 1, a replication factor of at least 1 and a fill epoch not after its epoch")]
    [InlineData("""{"epoch":2,"replicationFactor":3,"view":[],"placement":[],"fillEpoch":0,"filled":[]}""", "A configuration needs a view, members, a placement and the filled sources")]
    [InlineData("""{"epoch":2,"replicationFactor":3,"view":["not an address"],"members":[{"address":"not an address","incarnation":1,"excluded":false}],"placement":[],"fillEpoch":0,"filled":[]}""", "Every member of a configuration is a host:port with a positive incarnation")]
    public void A_body_that_is_not_a_configuration_is_refused_with_the_reason(string json, string reason)
    {
        ConfigMessage message = JsonSerializer.Deserialize(json, PeerJsonContext.Default.ConfigMessage)!;

        Assert.False(message.TryToConfig(out ClusterConfig? config, out string? error));
        Assert.Null(config);
        Assert.Equal(reason, error);
    }

    private static ClusterConfig RoundTrip(ClusterConfig config)
    {
        string json = JsonSerializer.Serialize(ConfigMessage.From(config), PeerJsonContext.Default.ConfigMessage);
        ConfigMessage message = JsonSerializer.Deserialize(json, PeerJsonContext.Default.ConfigMessage)!;
        Assert.True(message.TryToConfig(out ClusterConfig? back, out string? error), error);
        return back;
    }

    /// <summary>One configuration of every shape: formed, filling after an exclusion, part-reported,
    /// and shrinking (a member that left the view is still placed).</summary>
    private static Dictionary<string, ClusterConfig> Samples()
    {
        ClusterConfig formed = ConfigTransitionsTests.Formed(4);
        ClusterConfig excluded = ConfigTransitions.Apply(formed, new ConfigChange.Exclude(ConfigTransitionsTests.Member(1))).Next!;
        ClusterConfig reported = ConfigTransitions.Apply(excluded, new ConfigChange.ReportFilled(excluded.Sources[0], excluded.FillEpoch)).Next!;
        ClusterConfig shrinking = ConfigTransitions.Apply(formed, new ConfigChange.ChangeView([.. formed.Voters.Take(3)])).Next!;
        return new()
        {
            ["formed"] = formed,
            ["excluded"] = excluded,
            ["reported"] = reported,
            ["shrinking"] = shrinking,
        };
    }
}
