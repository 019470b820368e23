using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Tests.Cluster.Replication;

public sealed class KeyTurnsTests
{
    [Fact]
    public async Task Many_writers_of_one_key_hold_its_turn_one_at_a_time_and_all_get_it()
    {
        var turns = new KeyTurns();
        int holders = 0, maxHolders = 0, done = 0;
        await Parallel.ForAsync(0, 64, async (_, cancellationToken) =>
        {
            for (int i = 0; i < 50; i++)
            {
                Assert.True(await turns.TakeAsync("k", long.MaxValue, TimeProvider.System, cancellationToken));
                int now = Interlocked.Increment(ref holders);
                InterlockedMax(ref maxHolders, now);
                await Task.Yield();
                Interlocked.Decrement(ref holders);
                turns.Release("k");
                Interlocked.Increment(ref done);
            }
        });

        Assert.Equal(1, maxHolders);
        Assert.Equal(64 * 50, done);
        Assert.Equal(0, turns.Count);
    }

    [Fact]
    public async Task A_writer_whose_deadline_passes_while_the_turn_is_held_gives_up_without_taking_it()
    {
        var time = new FakeTimeProvider();
        var turns = new KeyTurns();
        Assert.True(await turns.TakeAsync("k", long.MaxValue, time, CancellationToken.None));

        ValueTask<bool> waiting = turns.TakeAsync("k", time.GetTimestamp() + time.TimestampFrequency, time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(await waiting);
        turns.Release("k");
        Assert.Equal(0, turns.Count);
    }

    [Fact]
    public async Task Different_keys_do_not_wait_for_each_other()
    {
        var turns = new KeyTurns();
        Assert.True(await turns.TakeAsync("a", long.MaxValue, TimeProvider.System, CancellationToken.None));
        ValueTask<bool> other = turns.TakeAsync("b", long.MaxValue, TimeProvider.System, CancellationToken.None);

        Assert.True(other.IsCompletedSuccessfully);
        Assert.True(await other);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
            seen = Volatile.Read(ref target);
        }
    }
}
