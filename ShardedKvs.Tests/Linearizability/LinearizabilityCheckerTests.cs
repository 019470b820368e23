using System.Diagnostics;
using Xunit.Abstractions;

using ShardedKvs.Linearizability;

namespace ShardedKvs.Tests.Linearizability;

public sealed class LinearizabilityCheckerTests(ITestOutputHelper output)
{
    // ---- Known linearizable histories ----

    [Fact]
    public void Sequential_put_get_delete_is_linearizable()
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Get(1, "a", 2, 3),
            Put(2, "b", 4, 5, OpOutput.Replaced),
            Get(1, "b", 6, 7),
            Delete(2, 8, 9, OpOutput.Existed),
            Get(1, null, 10, 11),
            Delete(1, 12, 13, OpOutput.NotExisted),
            Put(2, "c", 14, 15, OpOutput.Created),
            Get(1, "c", 16, 17));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void Get_overlapping_a_put_may_see_old_or_new_value(string seen)
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Put(1, "b", 10, 20, OpOutput.Replaced),
            Get(2, seen, 12, 18));
    }

    [Fact]
    public void Get_overlapping_a_put_cannot_see_absent()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Put(1, "b", 10, 20, OpOutput.Replaced),
            Get(2, null, 12, 18));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Concurrent_first_puts_where_exactly_one_is_created_are_linearizable(int creator)
    {
        string[] values = ["a", "b", "c"];
        var puts = values.Select((v, i) => Put(i + 1, v, i * 2, 10 + (i * 2), i == creator ? OpOutput.Created : OpOutput.Replaced));
        string last = values.First(v => v != values[creator]);
        AssertLinearizable([.. puts, Get(4, last, 20, 21)]);
    }

    [Fact]
    public void Touching_intervals_are_concurrent()
    {
        // The get is called at the very tick the put returns, so it may be ordered before it.
        AssertLinearizable(Put(1, "a", 0, 5, OpOutput.Created), Get(2, null, 5, 6));
        AssertNotLinearizable(Put(1, "a", 0, 5, OpOutput.Created), Get(2, null, 6, 7));
    }

    [Fact]
    public void Unknown_put_whose_value_appears_later_is_linearizable()
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            UnknownPut(2, "b", 5),
            Get(3, "a", 10, 11),
            Get(3, "b", 20, 21),
            Get(1, "b", 30, 31),
            Put(1, "c", 40, 41, OpOutput.Replaced),
            Get(3, "c", 50, 51));
    }

    [Fact]
    public void Unknown_put_whose_value_never_appears_is_linearizable()
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            UnknownPut(2, "b", 5),
            UnknownDelete(2, 6),
            Get(3, "a", 10, 11),
            Get(1, "a", 30, 31));
    }

    [Fact]
    public void Unknown_put_can_explain_a_later_existed_and_replaced()
    {
        AssertLinearizable(
            UnknownPut(1, "a", 0),
            Delete(2, 10, 11, OpOutput.Existed),
            UnknownPut(1, "b", 20),
            Put(2, "c", 30, 31, OpOutput.Replaced),
            Get(2, "c", 40, 41));
    }

    [Fact]
    public void Unknown_put_cannot_take_effect_before_its_call()
    {
        AssertNotLinearizable(
            Get(1, "b", 0, 1),
            UnknownPut(2, "b", 5));
    }

    [Fact]
    public void Unknown_put_value_cannot_vanish_without_a_write()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            UnknownPut(2, "b", 5),
            Get(3, "b", 20, 21),
            Get(3, "a", 30, 31));
    }

    [Fact]
    public void Unknown_gets_are_dropped()
    {
        var result = LinearizabilityChecker.Check(
        [
            Put(1, "a", 0, 1, OpOutput.Created),
            Operation.Unknown(2, "k", OpKind.Get, null, 2),
            Get(1, "a", 3, 4),
        ]);

        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(1, result.DroppedUnknownGets);
        Assert.Equal(2, result.OperationCount);
    }

    [Fact]
    public void Deletes_concurrent_with_gets_are_linearizable()
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Delete(1, 10, 20, OpOutput.Existed),
            Get(2, "a", 9, 14),
            Get(3, null, 11, 13),
            Get(2, null, 15, 18),
            Get(4, "a", 12, 22),
            Get(3, null, 25, 26));
    }

    [Fact]
    public void Gets_concurrent_with_a_delete_cannot_see_the_value_return()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Delete(1, 10, 20, OpOutput.Existed),
            Get(2, null, 11, 13),
            Get(2, "a", 15, 18));
    }

    [Fact]
    public void Acknowledged_writes_skip_the_created_and_existed_checks()
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Acknowledged),
            Put(1, "b", 2, 3, OpOutput.Acknowledged),
            Delete(1, 4, 5, OpOutput.Acknowledged),
            Delete(1, 6, 7, OpOutput.Acknowledged),
            Get(1, null, 8, 9));
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Acknowledged),
            Put(1, "b", 2, 3, OpOutput.Created));
    }

    // ---- Known non-linearizable histories ----

    [Fact]
    public void Stale_read_is_not_linearizable()
    {
        var key = AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Put(1, "b", 2, 3, OpOutput.Replaced),
            Get(2, "a", 4, 5));

        Assert.Contains("#2 c2 Get -> \"a\" [4 .. 5] read a stale value", key.Explanation, StringComparison.Ordinal);
        Assert.Contains("#1 c1 Put(\"b\")", key.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Lost_write_is_not_linearizable()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Get(2, "a", 2, 3),
            Get(3, null, 4, 5));
    }

    [Fact]
    public void Two_sequential_puts_both_created_is_not_linearizable()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Put(2, "b", 2, 3, OpOutput.Created));
    }

    [Fact]
    public void Two_concurrent_puts_both_created_is_not_linearizable()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 10, OpOutput.Created),
            Put(2, "b", 5, 15, OpOutput.Created));
    }

    [Fact]
    public void Get_of_a_value_never_written_is_not_linearizable()
    {
        var key = AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Get(2, "zzz", 0, 5));

        Assert.Contains("no put on this key ever wrote", key.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Value_written_to_another_key_does_not_count()
    {
        var result = LinearizabilityChecker.Check([Put(1, "a", 0, 1, OpOutput.Created, "x"), Get(2, "a", 2, 3, "y")]);

        Assert.Equal(["y"], result.Violations.Select(v => v.Key));
    }

    [Fact]
    public void Read_your_write_violation_is_not_linearizable()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Put(2, "c", 5, 20, OpOutput.Replaced),
            Put(1, "b", 10, 11, OpOutput.Replaced),
            Get(1, "a", 12, 13));
    }

    [Fact]
    public void Value_flipping_back_is_not_linearizable()
    {
        var key = AssertNotLinearizable(
            Put(1, "old", 0, 1, OpOutput.Created),
            Put(1, "new", 2, 10, OpOutput.Replaced),
            Get(2, "new", 3, 4),
            Get(3, "old", 5, 6),
            Get(2, "new", 7, 8));

        // No single read is stale on its own, so the search found it and explains its dead end.
        Assert.True(key.Steps > 0);
        Assert.Contains("the longest linearizable prefix has 3 ops", key.Explanation, StringComparison.Ordinal);
        Assert.Contains("Register after the prefix: \"new\"", key.Explanation, StringComparison.Ordinal);
        Assert.Contains("#3 c3 Get -> \"old\" [5 .. 6] must take effect before it returns", key.Explanation, StringComparison.Ordinal);
    }

    // ---- Interchangeable unknown ops ----

    [Fact]
    public void Two_unknown_deletes_can_explain_two_absent_reads()
    {
        AssertLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            UnknownDelete(2, 2),
            UnknownDelete(3, 3),
            Get(1, null, 10, 11),
            Put(1, "b", 12, 13, OpOutput.Created),
            Get(1, null, 20, 21));
    }

    [Fact]
    public void One_unknown_delete_cannot_explain_two_absent_reads()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            UnknownDelete(2, 2),
            Get(1, null, 10, 11),
            Put(1, "b", 12, 13, OpOutput.Created),
            Get(1, null, 20, 21));
    }

    [Fact]
    public void Unknown_puts_of_unread_values_each_explain_one_existed()
    {
        AssertLinearizable(
            UnknownPut(1, "x", 0),
            UnknownPut(2, "y", 1),
            Delete(3, 10, 11, OpOutput.Existed),
            Delete(3, 20, 21, OpOutput.Existed),
            Get(3, null, 30, 31));
        AssertNotLinearizable(
            UnknownPut(1, "x", 0),
            Delete(3, 10, 11, OpOutput.Existed),
            Delete(3, 20, 21, OpOutput.Existed));
    }

    [Fact]
    public void Unknown_delete_called_after_a_read_cannot_explain_it()
    {
        AssertNotLinearizable(
            Put(1, "a", 0, 1, OpOutput.Created),
            Get(2, null, 2, 3),
            UnknownDelete(3, 5));
    }

    [Fact]
    public void Random_small_histories_agree_with_brute_force()
    {
        var random = new Random(20261128);
        int linearizable = 0;
        const int count = 4000;
        for (int i = 0; i < count; i++)
        {
            var history = HistoryGenerator.RandomSmall(random);
            bool expected = BruteForceChecker.IsLinearizable(history);
            linearizable += expected ? 1 : 0;

            var result = LinearizabilityChecker.Check(history);
            var searchOnly = LinearizabilityChecker.Check(history, new CheckerOptions { ScanForAnomalies = false });
            string dump = string.Join(Environment.NewLine, history.Select((o, j) => $"#{j} {o}"));
            Assert.True(expected == result.IsLinearizable, $"expected {expected}, checker {result.Describe()}{Environment.NewLine}{dump}");
            Assert.True(expected == searchOnly.IsLinearizable, $"expected {expected}, search {searchOnly.Describe()}{Environment.NewLine}{dump}");
            Assert.Empty(result.TimedOut);
            if (result.Keys.Count == 1)
            {
                var key = KeyHistory.Build("k", history, [.. Enumerable.Range(0, history.Count).Where(j => history[j].Kind != OpKind.Get || history[j].Outcome == OpOutcome.Ok)]);
                Assert.True(expected == (WglSearch.Run(key, CheckerOptions.Default).Verdict == KeyVerdict.Linearizable), $"exact search disagrees{Environment.NewLine}{dump}");
                Assert.True(!expected || WglSearch.Run(key, CheckerOptions.Default, relaxed: true).Verdict == KeyVerdict.Linearizable, $"relaxed search refutes a linearizable history{Environment.NewLine}{dump}");
            }
        }

        output.WriteLine($"{linearizable} of {count} random histories linearizable");
        Assert.InRange(linearizable, count / 5, count * 4 / 5);
    }

    // ---- Partitioning, budget ----

    [Fact]
    public void Only_the_bad_key_is_reported()
    {
        var history = new List<Operation>();
        for (int k = 0; k < 10; k++)
        {
            string key = $"k{k}";
            history.Add(Put(1, "a", 0, 1, OpOutput.Created, key));
            history.Add(Put(2, "b", 2, 3, OpOutput.Replaced, key));
            history.Add(Get(3, k == 7 ? "a" : "b", 4, 5, key));
        }

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine(result.Describe());
        Assert.True(result.HasViolations);
        Assert.Equal(["k7"], result.Violations.Select(v => v.Key));
        Assert.Equal(9, result.LinearizableKeyCount);
        Assert.Empty(result.TimedOut);
        Assert.Equal(10, result.Keys.Count);
    }

    [Fact]
    public void Exhausted_budget_is_reported_as_timeout_not_violation()
    {
        var history = HistoryGenerator.Sequential(seed: 3, count: 200, keys: 1, clients: 12, widenSlots: 5, unknownWriteRate: 0.02);

        var result = LinearizabilityChecker.Check(history, new CheckerOptions { MaxStepsPerKey = 10 });

        output.WriteLine(result.Describe());
        Assert.False(result.HasViolations);
        Assert.False(result.IsLinearizable);
        var key = Assert.Single(result.TimedOut);
        Assert.Equal(KeyVerdict.Timeout, key.Verdict);
        Assert.Contains("UNDECIDED", key.Explanation, StringComparison.Ordinal);
    }

    // ---- Generated histories ----

    [Fact]
    public void Generated_history_of_5000_ops_is_linearizable()
    {
        var history = HistoryGenerator.Sequential(seed: 42, count: 5000, keys: 4, clients: 12, widenSlots: 5, unknownWriteRate: 0.02);

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine(result.Describe());
        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(4, result.LinearizableKeyCount);
    }

    [Fact]
    public void Generated_history_with_a_stale_get_is_not_linearizable()
    {
        var history = HistoryGenerator.Sequential(seed: 42, count: 5000, keys: 4, clients: 12, widenSlots: 5, unknownWriteRate: 0.02);
        int corrupted = HistoryCorruption.StaleRead(history, from: 2500);

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine(result.Describe());
        var violation = Assert.Single(result.Violations);
        Assert.Equal(history[corrupted].Key, violation.Key);
        Assert.Empty(result.TimedOut);
    }

    [Fact]
    public void Generated_history_with_a_value_flipping_back_is_not_linearizable()
    {
        var history = HistoryGenerator.Sequential(seed: 42, count: 5000, keys: 4, clients: 12, widenSlots: 5, unknownWriteRate: 0.02);
        int corrupted = HistoryCorruption.FlipBack(history, from: 2500);

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine(result.Describe());
        var violation = Assert.Single(result.Violations);
        Assert.Equal(history[corrupted].Key, violation.Key);
        Assert.True(violation.Steps > 0, "Refuted by the search, not by an anomaly scan.");
        Assert.Empty(result.TimedOut);
    }

    [Fact]
    public void Generated_history_with_a_phantom_get_is_not_linearizable()
    {
        var history = HistoryGenerator.Sequential(seed: 7, count: 5000, keys: 4, clients: 12, widenSlots: 5, unknownWriteRate: 0.02);
        int get = history.FindIndex(1000, o => o.Kind == OpKind.Get && o.Outcome == OpOutcome.Ok);
        history[get] = Get(history[get].ClientId, "corrupted", history[get].CallTime, history[get].ReturnTime, history[get].Key);

        var result = LinearizabilityChecker.Check(history);

        var violation = Assert.Single(result.Violations);
        Assert.Equal(history[get].Key, violation.Key);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Concurrent_history_of_20000_ops_over_300_keys_is_linearizable(double hotShare)
    {
        var history = HistoryGenerator.Concurrent(seed: 1, count: 20_000, keys: 300, clients: 12, unknownRate: 0.01, hotShare);

        var timer = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history);
        timer.Stop();

        output.WriteLine($"{result.Describe()} (wall {timer.ElapsedMilliseconds} ms, max steps/key {result.Keys.Max(k => k.Steps)})");
        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(300, result.Keys.Count);
    }

    [Fact]
    public void Concurrent_history_with_a_stale_get_on_a_hot_key_is_not_linearizable()
    {
        var history = HistoryGenerator.Concurrent(seed: 1, count: 20_000, keys: 300, clients: 12, unknownRate: 0.01, hotShare: 0.3);
        int corrupted = HistoryCorruption.StaleRead(history, from: 10_000, key: "k0");

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine(result.Describe());
        var violation = Assert.Single(result.Violations);
        Assert.Equal("k0", violation.Key);
        Assert.Equal(history[corrupted].Key, violation.Key);
        Assert.Contains("stale", violation.Explanation, StringComparison.Ordinal);
        Assert.Empty(result.TimedOut);
    }

    [Fact]
    public void Concurrent_history_with_a_value_flipping_back_is_not_linearizable()
    {
        var history = HistoryGenerator.Concurrent(seed: 1, count: 20_000, keys: 300, clients: 12, unknownRate: 0.01, hotShare: 0.3);
        int corrupted = HistoryCorruption.FlipBack(history, from: 10_000);

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine($"{result.Describe()} (steps {result.Violations.Sum(v => v.Steps)})");
        var violation = Assert.Single(result.Violations);
        Assert.Equal(history[corrupted].Key, violation.Key);
        Assert.True(violation.Steps > 0, "Refuted by the search, not by an anomaly scan.");
        Assert.Empty(result.TimedOut);
    }

    // ---- Helpers ----

    private static Operation Put(int client, string value, long call, long ret, OpOutput result, string key = "k") =>
        Operation.Completed(client, key, OpKind.Put, value, result, call, ret);

    private static Operation Get(int client, string? value, long call, long ret, string key = "k") =>
        Operation.Completed(client, key, OpKind.Get, null, OpOutput.Read(value), call, ret);

    private static Operation Delete(int client, long call, long ret, OpOutput result, string key = "k") =>
        Operation.Completed(client, key, OpKind.Delete, null, result, call, ret);

    private static Operation UnknownPut(int client, string value, long call, string key = "k") =>
        Operation.Unknown(client, key, OpKind.Put, value, call);

    private static Operation UnknownDelete(int client, long call, string key = "k") =>
        Operation.Unknown(client, key, OpKind.Delete, null, call);

    private static void AssertLinearizable(params Operation[] history)
    {
        Assert.True(BruteForceChecker.IsLinearizable(history), "The test history itself is wrong.");
        var result = LinearizabilityChecker.Check(history);
        Assert.True(result.IsLinearizable, result.Describe());
        Assert.Equal(KeyVerdict.Linearizable, Assert.Single(result.Keys).Verdict);
        var searchOnly = LinearizabilityChecker.Check(history, new CheckerOptions { ScanForAnomalies = false });
        Assert.True(searchOnly.IsLinearizable, searchOnly.Describe());
    }

    /// <summary>Asserts a one-key history is refuted, by the whole checker and by the search alone.</summary>
    private KeyCheckResult AssertNotLinearizable(params Operation[] history)
    {
        Assert.False(BruteForceChecker.IsLinearizable(history), "The test history itself is wrong.");
        var result = LinearizabilityChecker.Check(history);
        output.WriteLine(result.Describe());
        var key = Assert.Single(result.Violations);
        Assert.Equal(KeyVerdict.NotLinearizable, key.Verdict);
        Assert.False(string.IsNullOrEmpty(key.Explanation));
        var searchOnly = LinearizabilityChecker.Check(history, new CheckerOptions { ScanForAnomalies = false });
        Assert.Equal(KeyVerdict.NotLinearizable, Assert.Single(searchOnly.Violations).Verdict);
        return key;
    }
}
