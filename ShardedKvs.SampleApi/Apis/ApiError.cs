namespace ShardedKvs.SampleApi.Apis;

/// <summary>Every error of the sample: the same {"error","message"} shape as the store's.</summary>
public sealed record ApiError(string Error, string Message);
