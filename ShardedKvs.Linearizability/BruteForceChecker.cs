namespace ShardedKvs.Linearizability;

/// <summary>
/// A deliberately plain reference for small single-key histories: tries every order of the ops
/// that respects real time (A before B when A returns before B is called), with every subset of the
/// unknown-outcome ops, checking outputs with the register specification on real values. Its only
/// shortcut is remembering (done-set, value) pairs that failed; none of the checker's prunings.
/// </summary>
public static class BruteForceChecker
{
    public static bool IsLinearizable(IReadOnlyList<Operation> history)
    {
        var ops = history.Where(o => !(o.Kind == OpKind.Get && o.Outcome == OpOutcome.Unknown)).ToArray();
        if (ops.Length > 24)
        {
            throw new ArgumentException("Too many operations for brute force.", nameof(history));
        }

        return Extend(ops, 0, null, []);
    }

    private static bool Extend(Operation[] ops, int done, string? value, HashSet<(int, string?)> failed)
    {
        if (Enumerable.Range(0, ops.Length).All(i => (done & (1 << i)) != 0 || ops[i].Outcome == OpOutcome.Unknown))
        {
            return true;
        }

        if (failed.Contains((done, value)))
        {
            return false;
        }

        for (int i = 0; i < ops.Length; i++)
        {
            bool ready = (done & (1 << i)) == 0 && Enumerable.Range(0, ops.Length)
                .All(j => (done & (1 << j)) != 0 || ops[j].Outcome == OpOutcome.Unknown || ops[j].ReturnTime >= ops[i].CallTime);
            string? next = value;
            if (ready && Accepts(ops[i], ref next) && Extend(ops, done | (1 << i), next, failed))
            {
                return true;
            }
        }

        failed.Add((done, value));
        return false;
    }

    private static bool Accepts(Operation op, ref string? value)
    {
        string? before = value;
        if (op.Kind == OpKind.Put)
        {
            value = op.Input;
        }
        else if (op.Kind == OpKind.Delete)
        {
            value = null;
        }

        return op.Output.Kind switch
        {
            OutputKind.Absent or OutputKind.Created or OutputKind.NotExisted => before is null,
            OutputKind.Present => before == op.Output.Value,
            OutputKind.Replaced or OutputKind.Existed => before is not null,
            _ => true,
        };
    }
}
