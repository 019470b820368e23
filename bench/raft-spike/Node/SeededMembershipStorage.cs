using DotNext.Buffers;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;

namespace RaftSpike.Node;

/// <summary>
/// DotNext's persistent membership file, written from the initial view the first time a data dir is
/// used. It avoids both DotNext bootstraps that failed here: the cold start (a one-member cluster
/// that adds the others, which can wedge) and the in-memory seed (which a whole-cluster restart
/// brings back even after the membership changed). The file is DotNext's format: the seed is encoded
/// by an in-memory storage with the same codec and saved through the public interface.
/// </summary>
public sealed class SeededMembershipStorage : PersistentClusterConfigurationStorage<UriEndPoint>
{
    private SeededMembershipStorage(string fileName)
        : base(fileName)
    {
    }

    protected override IEqualityComparer<UriEndPoint> Comparer => UriEndPointComparer.Instance;

    public static async Task<SeededMembershipStorage> OpenAsync(string fileName, IEnumerable<Uri> seed)
    {
        var storage = new SeededMembershipStorage(fileName);
        if (!File.Exists(fileName))
        {
            using var builder = new SeedEncoder();
            var members = builder.CreateInitialConfigurationBuilder();
            foreach (Uri member in seed)
            {
                members.Add(new UriEndPoint(member));
            }

            members.Build();
            var (configuration, _) = await ((IClusterConfigurationStorage)builder).LoadConfigurationAsync();
            await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(configuration, 0L);
        }

        return storage;
    }

    protected override void Encode(UriEndPoint address, ref BufferWriterSlim<byte> writer) => writer.WriteEndPoint(address);

    protected override UriEndPoint Decode(ref SequenceReader reader) => (UriEndPoint)reader.ReadEndPoint();

    private sealed class SeedEncoder : InMemoryClusterConfigurationStorage<UriEndPoint>
    {
        protected override IEqualityComparer<UriEndPoint> Comparer => UriEndPointComparer.Instance;

        protected override void Encode(UriEndPoint address, ref BufferWriterSlim<byte> writer) => writer.WriteEndPoint(address);

        protected override UriEndPoint Decode(ref SequenceReader reader) => (UriEndPoint)reader.ReadEndPoint();
    }

    private sealed class UriEndPointComparer : IEqualityComparer<UriEndPoint>
    {
        public static readonly UriEndPointComparer Instance = new();

        public bool Equals(UriEndPoint? x, UriEndPoint? y) => x?.Uri == y?.Uri;

        public int GetHashCode(UriEndPoint obj) => obj.Uri.GetHashCode();
    }
}
