namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>
/// Striped locks that order a key's writes against its migration. Held only around in-memory work,
/// never across I/O. Readers do not take them: they validate the snapshot version instead.
/// </summary>
public sealed class KeyLocks
{
    private const int StripeCount = 1024;
    private readonly Lock[] _stripes = CreateStripes();

    public Lock For(ulong keyHash) => _stripes[(int)(keyHash & (StripeCount - 1))];

    /// <summary>Waits until every write that entered a stripe before this call has left it. After a
    /// new snapshot is published, this guarantees no write still acts on the old one.</summary>
    public void Barrier()
    {
        foreach (Lock stripe in _stripes)
        {
            stripe.Enter();
            stripe.Exit();
        }
    }

    private static Lock[] CreateStripes()
    {
        var stripes = new Lock[StripeCount];
        for (int i = 0; i < stripes.Length; i++)
        {
            stripes[i] = new Lock();
        }

        return stripes;
    }
}
