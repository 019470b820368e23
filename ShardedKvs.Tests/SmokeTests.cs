namespace ShardedKvs.Tests;
