using ShardedKvs.Node;

await NodeApp.Create(args).RunAsync();
