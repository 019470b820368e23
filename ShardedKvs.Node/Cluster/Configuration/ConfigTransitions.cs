using System.Collections.Immutable;

namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>
/// The rules of the configuration: how each <see cref="ConfigChange"/> turns the configuration of epoch
/// e into that of epoch e+1. Pure and deterministic, so every node that applies the same decision gets
/// the same configuration, and every rule is tested without a network.
/// </summary>
public static class ConfigTransitions
{
    /// <summary>The first configuration: every member of the initial view, each in the incarnation it
    /// registered with, placed from the start (all are empty, so nothing is to be filled).</summary>
    public static ClusterConfig Form(ImmutableArray<PlacedMember> view, int replicationFactor) => new(
        epoch: 1,
        replicationFactor,
        [.. view.Select(m => m.Address)],
        [.. view.Select(m => new ConfigMember(m.Address, m.Incarnation))],
        view);

    /// <summary>The configuration of epoch <c>current.Epoch + 1</c> after <paramref name="change"/>.</summary>
    /// <remarks>The next configuration carries the change's trace context.</remarks>
    public static ConfigDecision Apply(ClusterConfig current, ConfigChange change)
    {
        ConfigDecision decision = change switch
        {
            ConfigChange.Exclude exclude => Exclude(current, exclude.Member),
            ConfigChange.Rejoin rejoin => Rejoin(current, rejoin.Member),
            ConfigChange.ChangeView changeView => ChangeView(current, changeView.View),
            ConfigChange.ReportFilled report => ReportFilled(current, report.Source, report.FillEpoch),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change, "Unknown configuration change"),
        };
        return decision.Next is { } next ? ConfigDecision.Decided(next.WithTraceParent(change.TraceParent)) : decision;
    }

    private static ConfigDecision Exclude(ClusterConfig current, PlacedMember dead)
    {
        if (!current.IsLive(dead))
        {
            return ConfigDecision.Refused($"{dead} is not a live member at epoch {current.Epoch}");
        }

        // An exclusion never takes the last in-sync copy of a key. With R placed members out of sync,
        // some key could have every replica among them; and a member excluded while alive (silent
        // on a starved machine, not dead) empties itself to rejoin, so excluding it then would lose
        // acknowledged writes. Better unavailable than lost: it stays until it answers again, or a
        // view change removes it (an operator's decision that its copies are gone).
        if (current.IsInSync(dead))
        {
            int outOfSyncAfter = current.Placement.Count(p => !current.IsInSync(p)) + 1;
            if (outOfSyncAfter >= Math.Min(current.ReplicationFactor, current.Placement.Length))
            {
                return ConfigDecision.Refused($"Excluding {dead} would leave some keys with no in-sync copy ({outOfSyncAfter} of the {current.Placement.Length} placed members out of sync, {current.ReplicationFactor} copies per key)");
            }
        }

        return Next(current, current.View, current.Members.Select(m => m.Placed == dead ? m with { Excluded = true } : m));
    }

    /// <summary>
    /// An operator's way out when a majority of the voters died: the configuration after excluding
    /// every one of <paramref name="dead"/> at once, decided by the operator rather than by a
    /// majority, and without the last-copy rule (the operator declares those copies gone). Refused
    /// unless the members left are fewer than a majority of the voters, since with a majority
    /// alive the cluster excludes the dead by itself, and a forced decision beside a live majority
    /// could contradict one of its own.
    /// </summary>
    public static ConfigDecision ForceExclude(ClusterConfig current, IReadOnlyCollection<PlacedMember> dead)
    {
        if (dead.Count == 0)
        {
            return ConfigDecision.Refused("No member is suspected dead: nothing to exclude");
        }

        if (dead.Where(d => !current.IsLive(d)).Take(1).ToArray() is [var notLive])
        {
            return ConfigDecision.Refused($"{notLive} is not a live member at epoch {current.Epoch}");
        }

        int left = current.Voters.Count(v => !dead.Contains(v));
        if (left == 0)
        {
            return ConfigDecision.Refused("Excluding every voter would leave no member to decide anything");
        }

        if (left >= current.Quorum)
        {
            return ConfigDecision.Refused($"{left} of the {current.Voters.Length} voters are live, a majority: the cluster excludes the dead ones by itself");
        }

        return Next(current, current.View, current.Members.Select(m => dead.Contains(m.Placed) ? m with { Excluded = true } : m));
    }

    private static ConfigDecision Rejoin(ClusterConfig current, PlacedMember returning)
    {
        ConfigMember? known = current.MemberAt(returning.Address);
        if (known is null || !current.View.Contains(returning.Address, StringComparer.OrdinalIgnoreCase))
        {
            return ConfigDecision.Refused($"{returning.Address} is not in the view at epoch {current.Epoch}");
        }

        if (known.Incarnation == returning.Incarnation)
        {
            return known.Excluded
                ? ConfigDecision.Refused($"{returning} was excluded; only a new incarnation may rejoin")
                : ConfigDecision.Refused($"{returning} is already a member");
        }

        // The old incarnation is gone with its memory: the new one starts empty, and the placement
        // still names the old one, so it counts as in sync nowhere until a fill switches it in.
        return Next(current, current.View, current.Members.Select(m => m.Address == known.Address ? new ConfigMember(returning.Address, returning.Incarnation) : m));
    }

    private static ConfigDecision ChangeView(ClusterConfig current, ImmutableArray<PlacedMember> view)
    {
        if (view.IsDefaultOrEmpty)
        {
            return ConfigDecision.Refused("A view needs at least one member");
        }

        var members = new List<ConfigMember>();
        foreach (PlacedMember wanted in view)
        {
            ConfigMember? known = current.MemberAt(wanted.Address);
            members.Add(known is not null && known.Incarnation == wanted.Incarnation
                ? known
                : new ConfigMember(wanted.Address, wanted.Incarnation));
        }

        // Members that leave the view stay known while they are placed: until the switch they are the
        // sources of the keys they hold.
        members.AddRange(current.Members.Where(m =>
            !view.Any(v => string.Equals(v.Address, m.Address, StringComparison.OrdinalIgnoreCase))
            && current.Placement.Contains(m.Placed)));
        return Next(current, [.. view.Select(v => v.Address)], members);
    }

    private static ConfigDecision ReportFilled(ClusterConfig current, PlacedMember source, long fillEpoch)
    {
        if (!current.IsFilling || fillEpoch != current.FillEpoch)
        {
            return ConfigDecision.Refused($"No fill began at epoch {fillEpoch} (epoch {current.Epoch} fills since {current.FillEpoch})");
        }

        if (!current.Sources.Contains(source))
        {
            return ConfigDecision.Refused($"{source} is not a source of the fill");
        }

        if (current.Filled.Contains(source))
        {
            return ConfigDecision.Refused($"{source} has already reported");
        }

        ImmutableArray<PlacedMember> filled = current.Filled.Add(source);
        return ConfigDecision.Decided(current.Sources.All(filled.Contains)
            ? Switched(current, current.Epoch + 1)
            : new ClusterConfig(current.Epoch + 1, current.ReplicationFactor, current.View, current.Members, current.Placement, current.FillEpoch, filled));
    }

    /// <summary>The switch: every source has copied what the learners lacked, so the target becomes
    /// the placement, and members neither in the view nor placed any more are forgotten.</summary>
    private static ClusterConfig Switched(ClusterConfig current, long epoch)
    {
        ImmutableArray<PlacedMember> placement = current.Target;
        return new ClusterConfig(
            epoch,
            current.ReplicationFactor,
            current.View,
            [.. current.Members.Where(m => current.View.Contains(m.Address, StringComparer.OrdinalIgnoreCase) || placement.Contains(m.Placed))],
            placement);
    }

    /// <summary>A configuration whose members changed. If its target differs from the placement, a
    /// fill begins now; a fill under way starts over, since which node is a key's primary (and so
    /// which source copies it) may have changed with the members.</summary>
    private static ConfigDecision Next(ClusterConfig current, ImmutableArray<string> view, IEnumerable<ConfigMember> members)
    {
        long epoch = current.Epoch + 1;
        var next = new ClusterConfig(epoch, current.ReplicationFactor, view, [.. members], current.Placement, fillEpoch: epoch);

        // With no live source left (every copy of some keys died with their nodes) there is nothing
        // to wait for: the keys without a copy are lost, and the target is placed at once.
        return ConfigDecision.Decided(next.IsFilling && next.Sources.IsEmpty
            ? Switched(next, epoch)
            : next);
    }
}
