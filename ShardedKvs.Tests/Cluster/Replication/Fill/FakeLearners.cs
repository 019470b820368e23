using System.Collections.Concurrent;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>
/// Learners in memory, each with its own store and <see cref="FillTarget"/>, behind the fill's
/// transport seam: a batch is decoded and applied exactly as a learner's lane applies it. Records every
/// acknowledged batch; a test may script failures per learner and attempt.
/// </summary>
public sealed class FakeLearners : IFillTransport
{
    private readonly ConcurrentDictionary<PlacedMember, FakeLearner> _learners = new();
    private int _attempts;

    /// <summary>Who is sending, recorded with each delivery (the tests run one source at a time).</summary>
    public PlacedMember? Sender { get; set; }

    /// <summary>Every acknowledged batch, in the order they were applied.</summary>
    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    /// <summary>How a send is answered instead of being applied (attempt numbers start at 1 and count
    /// every send to any learner); null applies the batch.</summary>
    public Func<PlacedMember, int, FillAnswer?> Fault { get; set; } = (_, _) => null;

    /// <summary>Runs before a batch is applied: where a test makes a write race the copy.</summary>
    public Action<PlacedMember, IReadOnlyList<FillEntry>>? BeforeApply { get; set; }

    public int Attempts => Volatile.Read(ref _attempts);

    public FakeLearner this[PlacedMember learner] => _learners.GetOrAdd(learner, _ => new FakeLearner());

    public IEnumerable<(PlacedMember Learner, string Key)> Copies =>
        Deliveries.SelectMany(d => d.Keys.Select(k => (d.Learner, k)));

    public async Task<FillAnswer> SendAsync(PlacedMember learner, long fillEpoch, FillBatch batch, CancellationToken cancellationToken)
    {
        await Task.Yield();
        int attempt = Interlocked.Increment(ref _attempts);
        if (Fault(learner, attempt) is { } failure)
        {
            return failure;
        }

        Assert.True(DecodedBatch.TryRead(batch.Body, out List<FillEntry>? entries, out string? error), error);
        BeforeApply?.Invoke(learner, entries);
        FillApplyResult applied = this[learner].Target.Apply(batch.Body);
        Assert.Null(applied.Malformed);
        Deliveries.Enqueue(new Delivery(Sender, learner, [.. entries.Select(e => e.Key)]));
        return new FillAnswer(FillAnswerKind.Applied, applied.Applied, applied.Skipped);
    }

    /// <summary>The learner has not learned of the fill yet (it would catch up): worth sending again.</summary>
    public static FillAnswer NotYetLearned(PlacedMember learner) => new(FillAnswerKind.NotYetLearned, Error: $"{learner} has not learned of the fill yet");

    /// <summary>Nothing listens on the learner's port.</summary>
    public static FillAnswer Down(PlacedMember learner) => new(FillAnswerKind.Down, Error: "connection refused");

    public sealed record Delivery(PlacedMember? Sender, PlacedMember Learner, IReadOnlyList<string> Keys);
}
