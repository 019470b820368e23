using System.Diagnostics;
using System.Net;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Test hosts with their own addresses: one network namespace per node, all plugged into a bridge
/// that lives in a namespace of its own, plus one veth from the test's namespace into that bridge.
/// Everything is created by the test and deleted after it; addresses exist only inside these namespaces.
/// </summary>
public sealed class NetworkNamespaces : IDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..4];
    private readonly List<string> _namespaces = [];
    private readonly List<string> _hostFiles = [];
    private readonly int _hosts;
    private readonly Dictionary<int, DelayRelay> _relays = [];

    public NetworkNamespaces(int hosts)
    {
        _hosts = hosts;
        Subnet = $"10.213.{Random.Shared.Next(1, 250)}";
        SwitchNamespace = $"kvs-{_id}-sw";
        HostInterface = $"kv{_id}h";
        Run($"netns add {SwitchNamespace}");
        _namespaces.Add(SwitchNamespace);
        Run($"netns exec {SwitchNamespace} ip link add br0 type bridge");
        Run($"netns exec {SwitchNamespace} ip link set br0 up");

        for (int i = 0; i < hosts; i++)
        {
            string ns = $"kvs-{_id}-n{i}";
            Run($"netns add {ns}");
            _namespaces.Add(ns);
            Plug($"kv{_id}n{i}", ns, $"{AddressOf(i)}/24");
            Run($"netns exec {ns} ip link set lo up");
        }

        // The test's own leg into the bridge.
        Run($"link add {HostInterface} type veth peer name kv{_id}hb");
        Run($"link set kv{_id}hb netns {SwitchNamespace}");
        Run($"netns exec {SwitchNamespace} ip link set kv{_id}hb master br0 up");
        Run($"addr add {Subnet}.254/24 dev {HostInterface}");
        Run($"link set {HostInterface} up");
    }

    public string Subnet { get; }

    public string SwitchNamespace { get; }

    /// <summary>The test namespace's interface into the bridge: every route to a host must use it.</summary>
    public string HostInterface { get; }

    public string NamespaceOf(int host) => $"kvs-{_id}-n{host}";

    public string AddressOf(int host) => $"{Subnet}.{10 + host}";

    /// <summary>The output of `ip route get` for a host's address, seen from the test's namespace.</summary>
    public string RouteTo(int host) => Run($"route get {AddressOf(host)}");

    /// <summary>Cuts <paramref name="host"/> off from <paramref name="others"/> in both directions (blackhole routes).</summary>
    public void Cut(int host, IEnumerable<int> others)
    {
        foreach (int other in others)
        {
            Run($"netns exec {NamespaceOf(host)} ip route add blackhole {AddressOf(other)}/32");
            Run($"netns exec {NamespaceOf(other)} ip route add blackhole {AddressOf(host)}/32");
        }
    }

    public void Heal(int host, IEnumerable<int> others)
    {
        foreach (int other in others)
        {
            Run($"netns exec {NamespaceOf(host)} ip route del blackhole {AddressOf(other)}/32");
            Run($"netns exec {NamespaceOf(other)} ip route del blackhole {AddressOf(host)}/32");
        }
    }

    /// <summary>
    /// Makes the link from <paramref name="from"/> to <paramref name="host"/> lossy: <paramref name="host"/>
    /// drops packet number <paramref name="packet"/> of every <paramref name="every"/> it receives from
    /// <paramref name="from"/> (an iptables counter, so the rule is fixed by its numbers, not by chance).
    /// TCP resends what was dropped, so every call between the two, lanes and control calls alike, is
    /// now and then delayed by a retransmission timeout (200 ms or more) or, when several drops
    /// meet, by longer: a loss and a delay the peers cannot tell from a bad network.
    /// </summary>
    public void DropEveryNth(int host, int from, int every, int packet) =>
        Run($"netns exec {NamespaceOf(host)} iptables -A INPUT -s {AddressOf(from)}/32 -m statistic --mode nth --every {every} --packet {packet} -j DROP");

    /// <summary>
    /// Makes every link between two hosts lossy (<see cref="DropEveryNth"/>): each host drops one packet
    /// in N from each other host, N drawn from <paramref name="random"/> in [<paramref name="everyFrom"/>,
    /// <paramref name="everyBelow"/>), and which one of the N too, host by host in order, so a seed makes the same rules.
    /// </summary>
    /// <returns>The rules made, to print.</returns>
    public IReadOnlyList<(int Host, int From, int Every)> DropBetweenAll(SeededRandom random, int everyFrom, int everyBelow)
    {
        var rules = new List<(int Host, int From, int Every)>();
        for (int host = 0; host < _hosts; host++)
        {
            for (int from = 0; from < _hosts; from++)
            {
                if (from != host)
                {
                    int every = random.Next(everyFrom, everyBelow);
                    DropEveryNth(host, from, every, packet: random.Next(0, every));
                    rules.Add((host, from, every));
                }
            }
        }

        return rules;
    }

    /// <summary>How many packets <paramref name="host"/> has dropped by the rules of <see cref="DropEveryNth"/>.</summary>
    public long DroppedPackets(int host) =>
        Run($"netns exec {NamespaceOf(host)} iptables -L INPUT -v -n -x")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 2 && fields[2] == "DROP")
            .Sum(fields => long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Makes every link into each host slow: whatever another host sends to <paramref name="port"/>
    /// of it (its node's port) goes through a <see cref="DelayRelay"/> in the host's namespace, which
    /// passes it on after a delay drawn for the host from <paramref name="random"/> in
    /// [<paramref name="fromMs"/>, <paramref name="belowMs"/>) plus a jitter of up to as much again,
    /// answers included. The test's own calls (from outside the hosts) are not delayed.
    /// </summary>
    /// <returns>Each host's delay, to print.</returns>
    public IReadOnlyList<(int Host, int DelayMs)> DelayBetweenAll(SeededRandom random, int port, int fromMs, int belowMs)
    {
        var delays = new List<(int Host, int DelayMs)>();
        int relayPort = port + 1000;
        for (int host = 0; host < _hosts; host++)
        {
            int delay = random.Next(fromMs, belowMs);
            _relays[host] = new DelayRelay(
                NamespaceListener.Open(NamespaceOf(host), relayPort),
                new IPEndPoint(IPAddress.Parse(AddressOf(host)), port),
                delay,
                jitterMs: delay,
                seed: random.Next(0, int.MaxValue));
            for (int from = 0; from < _hosts; from++)
            {
                if (from != host)
                {
                    Run($"netns exec {NamespaceOf(host)} iptables -t nat -A PREROUTING -p tcp -s {AddressOf(from)}/32 --dport {port} -j REDIRECT --to-ports {relayPort}");
                }
            }

            delays.Add((host, delay));
        }

        return delays;
    }

    /// <summary>Bytes the slow links of <see cref="DelayBetweenAll"/> have carried, every host's together.</summary>
    public long DelayedBytes() => _relays.Values.Sum(relay => relay.RelayedBytes);

    /// <summary>
    /// Gives every host a name that every host resolves, as a cluster's DNS would: `ip netns exec`
    /// mounts /etc/netns/NAME/hosts over /etc/hosts for whatever runs in namespace NAME.
    /// </summary>
    public void SetHostNames(Func<int, string> nameOf)
    {
        string hosts = "127.0.0.1 localhost\n" + string.Concat(Enumerable.Range(0, _hosts).Select(h => $"{AddressOf(h)} {nameOf(h)}\n"));
        for (int host = 0; host < _hosts; host++)
        {
            string folder = Path.Combine("/etc/netns", NamespaceOf(host));
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "hosts"), hosts);
            _hostFiles.Add(folder);
        }
    }

    /// <summary>
    /// Takes a host away for good, as when its machine dies: kills every process in its namespace
    /// and deletes the namespace with its interface, so its address stops answering at all.
    /// </summary>
    public void TearDown(int host)
    {
        string ns = NamespaceOf(host);
        if (_relays.Remove(host, out DelayRelay? relay))
        {
            relay.Dispose(); // its sockets would keep the namespace, and the host's address, alive
        }

        foreach (string pid in Run($"netns pids {ns}").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using Process process = Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
            process.Kill();
            process.WaitForExit();
        }

        Run($"netns del {ns}");
        _namespaces.Remove(ns);
    }

    public void Dispose()
    {
        foreach (DelayRelay relay in _relays.Values)
        {
            relay.Dispose();
        }

        foreach (string ns in _namespaces)
        {
            TryRun($"netns del {ns}");
        }

        TryRun($"link del {HostInterface}");
        foreach (string folder in _hostFiles)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void Plug(string name, string ns, string address)
    {
        Run($"link add {name} type veth peer name {name}b");
        Run($"link set {name} netns {ns}");
        Run($"link set {name}b netns {SwitchNamespace}");
        Run($"netns exec {SwitchNamespace} ip link set {name}b master br0 up");
        Run($"netns exec {ns} ip addr add {address} dev {name}");
        Run($"netns exec {ns} ip link set {name} up");
    }

    private static string Run(string arguments)
    {
        (int exit, string output) = Execute(arguments);
        return exit == 0 ? output : throw new InvalidOperationException($"ip {arguments} failed ({exit}): {output}");
    }

    private static void TryRun(string arguments) => Execute(arguments);

    private static (int Exit, string Output) Execute(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("ip", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
