using ShardedKvs.Linearizability;

namespace ShardedKvs.Tests.Linearizability;

public sealed class HistoryRecorderTests
{
    [Fact]
    public async Task Concurrent_clients_against_a_locked_register_record_a_linearizable_history()
    {
        var recorder = new HistoryRecorder();
        var store = new Dictionary<string, string>(StringComparer.Ordinal);
        var gate = new Lock();
        const int clients = 8;
        const int opsPerClient = 300;

        var tasks = Enumerable.Range(0, clients).Select(client => Task.Run(() =>
        {
            var random = new Random(client);
            for (int i = 0; i < opsPerClient; i++)
            {
                string key = $"k{random.Next(5)}";
                int kind = random.Next(10);
                if (kind < 5)
                {
                    var call = recorder.Call(client, key, OpKind.Get);
                    string? value;
                    lock (gate)
                    {
                        store.TryGetValue(key, out value);
                    }

                    recorder.Return(call, OpOutput.Read(value));
                }
                else if (kind < 8)
                {
                    string value = $"c{client}-{i}";
                    var call = recorder.Call(client, key, OpKind.Put, value);
                    bool created;
                    lock (gate)
                    {
                        created = store.TryAdd(key, value);
                        store[key] = value;
                    }

                    recorder.Return(call, OpOutput.Written(created));
                }
                else
                {
                    var call = recorder.Call(client, key, OpKind.Delete);
                    bool existed;
                    lock (gate)
                    {
                        existed = store.Remove(key);
                    }

                    recorder.Return(call, OpOutput.Deleted(existed));
                }
            }
        }));
        await Task.WhenAll(tasks);

        var history = recorder.GetHistory();
        Assert.Equal(clients * opsPerClient, history.Count);
        Assert.Equal(0, recorder.PendingCount);
        Assert.All(history, o => Assert.True(o.ReturnTime >= o.CallTime));
        var result = LinearizabilityChecker.Check(history);
        Assert.True(result.IsLinearizable, result.Describe());
    }

    [Fact]
    public void Reads_from_a_lagging_replica_are_caught()
    {
        long now = 0;
        var recorder = new HistoryRecorder(() => ++now);
        var primary = new Dictionary<string, string>(StringComparer.Ordinal);
        var replica = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < 6; i++)
        {
            var put = recorder.Call(1, "k", OpKind.Put, $"v{i}");
            bool created = !primary.ContainsKey("k");
            primary["k"] = $"v{i}";
            if (i % 3 == 0)
            {
                replica["k"] = $"v{i}";
            }

            recorder.Return(put, OpOutput.Written(created));
            var get = recorder.Call(2, "k", OpKind.Get);
            replica.TryGetValue("k", out string? seen);
            recorder.Return(get, OpOutput.Read(seen));
        }

        var result = LinearizabilityChecker.Check(recorder.GetHistory());

        var violation = Assert.Single(result.Violations);
        Assert.Equal("k", violation.Key);
        Assert.Contains("stale", violation.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreturned_and_timed_out_operations_are_unknown()
    {
        long now = 0;
        var recorder = new HistoryRecorder(() => ++now);
        var created = recorder.Call(1, "k", OpKind.Put, "a");
        recorder.Return(created, OpOutput.Created);
        var timedOut = recorder.Call(2, "k", OpKind.Put, "b");
        recorder.ReturnUnknown(timedOut);
        recorder.Call(3, "k", OpKind.Delete);
        var read = recorder.Call(1, "k", OpKind.Get);
        recorder.Return(read, OpOutput.Absent);

        var history = recorder.GetHistory();
        var withoutPending = recorder.GetHistory(includePending: false);

        Assert.Equal(4, history.Count);
        Assert.Equal(3, withoutPending.Count);
        Assert.Equal(1, recorder.PendingCount);
        var pending = Assert.Single(history, o => o.Kind == OpKind.Delete);
        Assert.Equal(OpOutcome.Unknown, pending.Outcome);
        Assert.Equal(Operation.Infinity, pending.ReturnTime);
        Assert.Equal(OpOutcome.Unknown, Assert.Single(history, o => o.Input == "b").Outcome);

        // Only the pending delete explains the absent read.
        Assert.True(LinearizabilityChecker.Check(history).IsLinearizable);
        Assert.True(LinearizabilityChecker.Check(withoutPending).HasViolations);
    }

    [Fact]
    public void An_operation_returns_once()
    {
        var recorder = new HistoryRecorder();
        var call = recorder.Call(1, "k", OpKind.Get);
        recorder.Return(call, OpOutput.Absent);

        Assert.Throws<InvalidOperationException>(() => recorder.Return(call, OpOutput.Absent));
        Assert.Throws<InvalidOperationException>(() => recorder.ReturnUnknown(call));
        Assert.Single(recorder.GetHistory());
    }

    [Fact]
    public void Outputs_must_fit_the_operation()
    {
        var recorder = new HistoryRecorder();

        Assert.Throws<ArgumentNullException>(() => recorder.Call(1, "k", OpKind.Put));
        Assert.Throws<ArgumentException>(() => recorder.Return(recorder.Call(1, "k", OpKind.Get), OpOutput.Created));
        Assert.Throws<ArgumentException>(() => Operation.Completed(1, "k", OpKind.Delete, null, OpOutput.Absent, 0, 1));
        Assert.Throws<ArgumentException>(() => Operation.Completed(1, "k", OpKind.Get, null, OpOutput.Absent, 5, 4));
    }
}
