using RaftSpike.Experiments;
using RaftSpike.Node;

// Two roles in one binary: "node" runs one Raft member; "experiments" starts nodes as child
// processes, injects faults and prints numbers (see run.sh).
return args switch
{
    ["node", .. var rest] => await SpikeNode.RunAsync(SpikeNodeOptions.Parse(rest)),
    ["experiments", .. var rest] => await ExperimentRunner.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RaftSpike node --port P [--members P1,P2,..] [--data DIR] [--key K] [--cold-start]");
    Console.Error.WriteLine("       RaftSpike experiments [a b c d e f g]");
    return 2;
}
