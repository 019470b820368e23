using ShardedKvs.Client.Retries;

namespace ShardedKvs.Client.Transport;

/// <summary>Sorts a node's HTTP answer into what it means for the operation (pure; no HTTP types).</summary>
internal static class AttemptClassifier
{
    public static AttemptResult Classify(string node, int status, KeyAnswer? answer)
    {
        if (answer is null)
        {
            return new AttemptResult(AttemptKind.Failed, node, status, Failure: AttemptFailure.NoAnswer);
        }

        return status switch
        {
            200 or 201 => new AttemptResult(AttemptKind.Answered, node, status, answer),

            // "Key does not exist" carries doesExist:false; any other 404 (an unknown path) is a wrong request.
            404 when answer.DoesExist == false => new AttemptResult(AttemptKind.Answered, node, status, answer),

            // "executed": false (a view in the body comes only with it): nothing was done anywhere.
            503 when answer.Executed == false || answer.View is not null =>
                new AttemptResult(AttemptKind.Failed, node, status, answer, AttemptFailure.NotExecuted),

            // Any other 503 may follow a write that landed: the owner it forwarded to did not answer,
            // or (replicated) the primary's replicas did not acknowledge in time, which names no owner.
            503 => new AttemptResult(AttemptKind.Failed, node, status, answer, AttemptFailure.OwnerFailed),

            >= 400 and < 500 => new AttemptResult(AttemptKind.Rejected, node, status, answer),

            _ => new AttemptResult(AttemptKind.Failed, node, status, answer, AttemptFailure.NoAnswer),
        };
    }
}
