using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication;

public enum FaultKind
{
    /// <summary>SIGKILL a member, then wait until the others exclude it.</summary>
    Kill,

    /// <summary>Cut a member off from every other host, then wait until the others exclude it.</summary>
    Cut,

    Heal,

    /// <summary>Start a killed member again: a new, empty process that rejoins by itself.</summary>
    Restart,

    /// <summary>A view change without the dead, excluded members, sent through <see cref="FaultStep.Via"/>.</summary>
    Remove,

    /// <summary>Start a node a view change removed and send a view change that adds it back (and
    /// leaves out the dead members).</summary>
    RestartAndAdd,

    /// <summary>Wait until every running member serves and every key is on its replicas again.</summary>
    Settle,
}

public readonly record struct FaultStep(FaultKind Kind, int Node, int Via = -1)
{
    public override string ToString() => Kind switch
    {
        FaultKind.Settle => "settle",
        FaultKind.Remove => $"Remove the dead members, {Node} among them (view change through node {Via})",
        FaultKind.RestartAndAdd => $"RestartAndAdd {Node} (view change through node {Via})",
        _ => $"{Kind} {Node}",
    };
}

/// <summary>
/// Which faults a random schedule may take next, and what each leaves behind: pure bookkeeping, no
/// processes. It keeps the two things the replication promise rests on: at every fault a majority of
/// the voters (members not excluded) stays up and connected, and at most R − 1 = 2 faults come between
/// two moments at which every key is on all its replicas (a settle), so a key never loses every copy.
/// While a view change is under way at most one fault comes (its voters are those of both views).
/// </summary>
public sealed class FaultSchedule
{
    private const int FaultsBetweenSettles = 2;

    private readonly bool[] _running;
    private readonly bool[] _excluded;
    private HashSet<int> _view;
    private HashSet<int>? _viewBeforeChange;
    private int _faults;
    private bool _settled = true;

    public FaultSchedule(int hosts)
    {
        _running = [.. Enumerable.Repeat(true, hosts)];
        _excluded = new bool[hosts];
        _view = [.. Enumerable.Range(0, hosts)];
    }

    public int? CutOff { get; private set; }

    /// <summary>The view change under way and the node it was sent to.</summary>
    public (Task<KvsResponse> Answer, int Coordinator)? PendingChange { get; set; }

    /// <summary>The node the pending view change was sent to has been killed since (even if restarted
    /// after): its client may have lost the answer, while the configuration log finishes the change.</summary>
    public bool CoordinatorKilled { get; private set; }

    public IEnumerable<int> Running => Enumerable.Range(0, _running.Length).Where(i => _running[i]);

    /// <summary>The views whose rings place keys now (both while a view change is under way), as node indexes.</summary>
    public int[][] Views => _viewBeforeChange is { } before ? [[.. before.Order()], [.. _view.Order()]] : [[.. _view.Order()]];

    public bool IsRunning(int node) => _running[node];

    /// <summary>The steps possible now, each with its weight.</summary>
    public IEnumerable<(FaultStep Step, int Weight)> Candidates(Func<int[], int> pickVia)
    {
        // Victims are voters: a restarted node counts once a settle has seen it rejoin and serve.
        foreach (int node in Members().Where(m => Healthy(m) && !_excluded[m]))
        {
            if (MayTakeDown(node))
            {
                yield return (new FaultStep(FaultKind.Kill, node), 3);
                if (CutOff is null && PendingChange?.Coordinator != node)
                {
                    yield return (new FaultStep(FaultKind.Cut, node), 2);
                }
            }
        }

        if (CutOff is { } cut)
        {
            yield return (new FaultStep(FaultKind.Heal, cut), 3);
        }

        foreach (int node in Enumerable.Range(0, _running.Length).Where(i => !_running[i]))
        {
            bool quiet = _settled && CutOff is null && PendingChange is null;
            if (_view.Contains(node))
            {
                yield return (new FaultStep(FaultKind.Restart, node), 2);
                if (quiet && _view.Count(i => _running[i]) >= 3)
                {
                    yield return (new FaultStep(FaultKind.Remove, node, pickVia([.. Members().Where(Healthy)])), 2);
                }
            }
            else if (quiet)
            {
                // Rare otherwise: only a quiet cluster after a Remove and a settle offers it.
                yield return (new FaultStep(FaultKind.RestartAndAdd, node, pickVia([.. Members().Where(Healthy)])), 6);
            }
        }

        if (CutOff is null)
        {
            yield return (new FaultStep(FaultKind.Settle, -1), _faults == FaultsBetweenSettles ? 4 : 1);
        }
    }

    public FaultStep Choose(SeededRandom random)
    {
        (FaultStep Step, int Weight)[] candidates = [.. Candidates(via => via[random.Next(0, via.Length)])];
        int roll = random.Next(0, candidates.Sum(c => c.Weight));
        foreach ((FaultStep step, int weight) in candidates)
        {
            roll -= weight;
            if (roll < 0)
            {
                return step;
            }
        }

        throw new InvalidOperationException("No step is possible"); // Settle or Heal always is
    }

    /// <summary>The view a <see cref="FaultKind.Remove"/> or <see cref="FaultKind.RestartAndAdd"/> asks for:
    /// without every dead member, since a view change counts an excluded member it names as a node to
    /// add, and refuses one that does not answer ("unreachable; nothing was changed").</summary>
    public IEnumerable<int> NextView(FaultStep step) =>
        _view.Where(i => _running[i]).Concat(step.Kind == FaultKind.RestartAndAdd ? [step.Node] : []).Order();

    /// <summary>Records what <paramref name="step"/> changed, once it has been taken.</summary>
    public void Took(FaultStep step)
    {
        int node = step.Node;
        _settled = step.Kind == FaultKind.Settle;
        switch (step.Kind)
        {
            case FaultKind.Kill:
                CoordinatorKilled |= PendingChange?.Coordinator == node;
                _running[node] = false;
                _excluded[node] = true;
                _faults++;
                break;
            case FaultKind.Cut:
                CutOff = node;
                _excluded[node] = true;
                _faults++;
                break;
            case FaultKind.Heal:
                CutOff = null;
                break;
            case FaultKind.Restart:
                _running[node] = true;
                break;
            case FaultKind.Remove:
                _viewBeforeChange = _view;
                _view = [.. NextView(step)];
                break;
            case FaultKind.RestartAndAdd:
                _running[node] = true;
                _excluded[node] = false; // a member of the new view, filled as a learner: it votes
                _viewBeforeChange = _view;
                _view = [.. NextView(step)];
                break;
            case FaultKind.Settle:
                PendingChange = null;
                CoordinatorKilled = false;
                _viewBeforeChange = null;
                _faults = 0;
                foreach (int member in Enumerable.Range(0, _running.Length))
                {
                    _excluded[member] = !_running[member];
                }

                break;
        }
    }

    private IEnumerable<int> Members() => _viewBeforeChange is { } before ? before.Union(_view) : _view;

    private bool Healthy(int node) => _running[node] && CutOff != node;

    private bool MayTakeDown(int victim)
    {
        if (_faults >= (PendingChange is null ? FaultsBetweenSettles : 1))
        {
            return false;
        }

        int[] voters = [.. Members().Where(m => !_excluded[m])];
        int left = voters.Count(v => v != victim && Healthy(v));
        return left * 2 > voters.Length;
    }
}
