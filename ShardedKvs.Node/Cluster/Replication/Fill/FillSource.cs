using System.Diagnostics;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// The source side of a fill: copies every key this node is primary for to the key's learners, in
/// acknowledged batches per learner (single-copy keys first), throttled to
/// <see cref="NodeOptions.FillKeysPerSecond"/>. Each value is read when its batch is built, so a key
/// deleted since the walk is not sent and a key written since goes at its newer version; the learner
/// keeps whichever of a copy and a replicated write is newer (<see cref="FillTarget"/>).
/// The caller starts a copy only after every write begun under an older configuration has finished,
/// so every write the store holds was already sent to the learners, or is in the copy.
/// </summary>
/// <remarks>
/// Concurrency: one copy at a time (<c>_oneAtATime</c>); a second call waits for the first to end, so
/// a caller replacing a fill cancels the old copy and starts the new one. The progress counters are
/// written by the running copy and read by anyone through <see cref="Progress"/>, with
/// <see cref="Interlocked"/> and <see cref="Volatile"/>.
/// </remarks>
public sealed partial class FillSource(
    KeyValueStore store,
    IFillTransport transport,
    NodeTelemetry telemetry,
    TimeProvider time,
    IOptions<NodeOptions> options,
    ILogger<FillSource> logger) : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(1);

    private readonly NodeOptions _options = options.Value;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private long _fillEpoch;
    private bool _running;
    private long _keysTotal;
    private long _keysCopied;
    private long _keysSkipped;
    private long _batches;

    /// <summary>Where the running (or last) copy stands; readable at any time.</summary>
    public FillProgress Progress => new(
        Interlocked.Read(ref _fillEpoch),
        Volatile.Read(ref _running),
        Interlocked.Read(ref _keysTotal),
        Interlocked.Read(ref _keysCopied),
        Interlocked.Read(ref _keysSkipped),
        Interlocked.Read(ref _batches));

    /// <summary>Copies every key <paramref name="self"/> is primary for under <paramref name="map"/>
    /// to the key's learners. Fails (without throwing) when a learner cannot be reached within a
    /// batch's deadline; throws only when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task<FillResult> CopyAsync(PlacementMap map, PlacedMember self, CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.fill");
        bool planned = false;
        try
        {
            Start(map.Config.FillEpoch);
            // A fill that makes keys writable again is not background work: its walk keeps the normal priority.
            Func<FillPlan> walk = () => FillPlan.Build(store.Entries, map, self);
            FillPlan plan = await (map.Config.EveryKeyWritable(_options.MinInSync) ? StoreWalk.RunInBackgroundAsync(walk) : StoreWalk.RunAsync(walk));
            Interlocked.Exchange(ref _keysTotal, plan.Copies);
            planned = true;
            telemetry.FillKeysRemaining.Add(plan.Copies);
            activity?.SetTag("kvs.source", self.ToString());
            activity?.SetTag("kvs.epoch", map.Config.Epoch);
            activity?.SetTag("kvs.fill_epoch", map.Config.FillEpoch);
            activity?.SetTag("kvs.learners", plan.Queues.Select(q => q.Learner).Distinct().Count());
            activity?.SetTag("kvs.keys_total", plan.Copies);

            var pacer = new FillPacer(time, _options.FillKeysPerSecond);
            var writer = new FillBatchWriter(_options.FillBatchKeys, _options.FillBatchBytes);
            foreach (FillQueue queue in plan.Queues)
            {
                if (await CopyQueueAsync(queue, map.Config.FillEpoch, writer, pacer, cancellationToken) is { } failure)
                {
                    activity?.SetStatus(ActivityStatusCode.Error, failure);
                    LogLearnerFailed(logger, queue.Learner.ToString(), failure);
                    return Result(queue.Learner, failure);
                }
            }

            FillResult result = Result(null, null);
            LogCopied(logger, result.KeysCopied, result.Batches, map.Config.FillEpoch);
            return result;
        }
        finally
        {
            if (planned)
            {
                // What a failed or cancelled copy left undone no longer counts as remaining.
                telemetry.FillKeysRemaining.Add(-Progress.KeysRemaining);
            }

            Volatile.Write(ref _running, false);
            _oneAtATime.Release();
        }
    }

    /// <returns>null when the learner acknowledged every batch; otherwise why it failed.</returns>
    private async Task<string?> CopyQueueAsync(FillQueue queue, long fillEpoch, FillBatchWriter writer, FillPacer pacer, CancellationToken cancellationToken)
    {
        int next = 0;
        while (next < queue.Keys.Count)
        {
            await pacer.WaitTurnAsync(cancellationToken);
            int skipped = 0;
            long valueBytes = 0;
            while (next < queue.Keys.Count && !writer.IsFull)
            {
                ReadOnlySpan<byte> key = queue.Keys[next];
                if (!store.TryGet(key, out ReadOnlyMemory<byte> value, out long version))
                {
                    skipped++;
                }
                else if (writer.TryAdd(key, version, value.Span))
                {
                    valueBytes += value.Length;
                }
                else
                {
                    break; // full by bytes: this key starts the next batch
                }

                next++;
            }

            Interlocked.Add(ref _keysSkipped, skipped);
            telemetry.FillKeysRemaining.Add(-skipped);
            if (writer.Count == 0)
            {
                continue;
            }

            FillBatch batch = writer.Build();
            pacer.Sent(batch.Keys);
            if (await DeliverAsync(queue.Learner, fillEpoch, batch, valueBytes, cancellationToken) is { } failure)
            {
                return failure;
            }

            Interlocked.Add(ref _keysCopied, batch.Keys);
            Interlocked.Increment(ref _batches);
            telemetry.FillKeysCopied.Add(batch.Keys);
            telemetry.FillKeysRemaining.Add(-batch.Keys);
        }

        return null;
    }

    /// <summary>Sends the batch until the learner acknowledges it or <see cref="NodeOptions.BatchDeadline"/>
    /// passes. Safe to repeat: the learner applies a key only over an older version.</summary>
    /// <returns>null when acknowledged; otherwise why the learner is given up on.</returns>
    private async Task<string?> DeliverAsync(PlacedMember learner, long fillEpoch, FillBatch batch, long valueBytes, CancellationToken cancellationToken)
    {
        using Activity? activity = NodeTelemetry.Source.StartActivity("kvs.fill.batch", ActivityKind.Client);
        activity?.SetTag("kvs.learner", learner.ToString());
        activity?.SetTag("kvs.keys", batch.Keys);
        activity?.SetTag("kvs.bytes", batch.Body.Length);
        activity?.SetTag("kvs.value_bytes", valueBytes);
        long started = time.GetTimestamp();
        long deadline = started + (long)(_options.BatchDeadline.TotalSeconds * time.TimestampFrequency);
        TimeSpan backoff = FirstBackoff;
        int refusedInARow = 0;
        for (int attempt = 1; ; attempt++)
        {
            FillAnswer answer = await transport.SendAsync(learner, fillEpoch, batch, cancellationToken);
            if (answer.Acknowledged)
            {
                telemetry.FillBatchDuration.Record(time.GetElapsedTime(started).TotalSeconds);
                activity?.SetTag("kvs.attempts", attempt);
                activity?.SetTag("kvs.keys_applied", answer.Applied);
                return null;
            }

            string failure = answer.ToString();
            if (!answer.Retryable)
            {
                return Failed(activity, $"{learner} refused a batch: {failure}");
            }

            // Nothing listens on the learner's port: it is down, and waiting out the deadline helps no one.
            refusedInARow = answer.Kind == FillAnswerKind.Down ? refusedInARow + 1 : 0;
            if (refusedInARow >= 3)
            {
                return Failed(activity, $"{learner} is down: {failure}");
            }

            if (time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency) > deadline)
            {
                return Failed(activity, $"{learner} did not take a batch within {_options.BatchDeadline.TotalSeconds:0.#} s: {failure}");
            }

            LogBatchRetry(logger, learner.ToString(), failure);
            await Task.Delay(backoff, time, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LongestBackoff.Ticks));
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    private static string Failed(Activity? activity, string failure)
    {
        activity?.SetStatus(ActivityStatusCode.Error, failure);
        return failure;
    }

    private void Start(long fillEpoch)
    {
        Interlocked.Exchange(ref _fillEpoch, fillEpoch);
        Interlocked.Exchange(ref _keysTotal, 0);
        Interlocked.Exchange(ref _keysCopied, 0);
        Interlocked.Exchange(ref _keysSkipped, 0);
        Interlocked.Exchange(ref _batches, 0);
        Volatile.Write(ref _running, true);
    }

    private FillResult Result(PlacedMember? failedLearner, string? failure)
    {
        FillProgress progress = Progress;
        return new FillResult(progress.KeysTotal, progress.KeysCopied, progress.KeysSkipped, progress.Batches, failedLearner, failure);
    }

    [LoggerMessage(EventId = LogEvents.FillBatchRetry, Level = LogLevel.Warning, Message = "Fill batch to {Learner} failed ({Reason}); retrying")]
    private static partial void LogBatchRetry(ILogger logger, string learner, string reason);

    [LoggerMessage(EventId = LogEvents.FillLearnerFailed, Level = LogLevel.Warning, Message = "Fill stopped: {Learner} could not be reached: {Reason}")]
    private static partial void LogLearnerFailed(ILogger logger, string learner, string reason);

    [LoggerMessage(EventId = LogEvents.FillCopied, Level = LogLevel.Information, Message = "Fill {FillEpoch}: copied {Keys} keys to learners in {Batches} batches")]
    private static partial void LogCopied(ILogger logger, long keys, long batches, long fillEpoch);
}
