using System.Globalization;

namespace ShardedKvs.Linearizability;

/// <summary>
/// One recorded operation on one key. Times are ticks from any monotonic clock shared by all
/// clients (e.g. <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>). An operation A precedes B
/// only if A.ReturnTime &lt; B.CallTime; equal times count as concurrent.
/// </summary>
public sealed class Operation
{
    /// <summary>The return time of an operation whose outcome is unknown.</summary>
    public const long Infinity = long.MaxValue;

    public Operation(
        int clientId,
        string key,
        OpKind kind,
        string? input,
        OpOutput output,
        long callTime,
        long returnTime,
        OpOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (kind == OpKind.Put && input is null)
        {
            throw new ArgumentException("A put needs an input value.", nameof(input));
        }

        if (outcome == OpOutcome.Unknown)
        {
            if (output.Kind != OutputKind.None || returnTime != Infinity)
            {
                throw new ArgumentException("An unknown-outcome operation has no output and returns at Infinity.", nameof(output));
            }
        }
        else
        {
            if (!IsLegalOutput(kind, output.Kind))
            {
                throw new ArgumentException($"{kind} cannot report {output.Kind}.", nameof(output));
            }

            if (returnTime < callTime || returnTime == Infinity)
            {
                throw new ArgumentException("An observed operation returns at or after its call, before Infinity.", nameof(returnTime));
            }
        }

        ClientId = clientId;
        Key = key;
        Kind = kind;
        Input = kind == OpKind.Put ? input : null;
        Output = output;
        CallTime = callTime;
        ReturnTime = returnTime;
        Outcome = outcome;
    }

    public int ClientId { get; }

    public string Key { get; }

    public OpKind Kind { get; }

    /// <summary>The value written by a put; null for get and delete.</summary>
    public string? Input { get; }

    /// <summary>The reported result; <see cref="OpOutput.None"/> when the outcome is unknown.</summary>
    public OpOutput Output { get; }

    public long CallTime { get; }

    /// <summary>When the response was seen; <see cref="Infinity"/> when the outcome is unknown.</summary>
    public long ReturnTime { get; }

    public OpOutcome Outcome { get; }

    /// <summary>An operation whose response was observed.</summary>
    public static Operation Completed(int clientId, string key, OpKind kind, string? input, OpOutput output, long callTime, long returnTime) =>
        new(clientId, key, kind, input, output, callTime, returnTime, OpOutcome.Ok);

    /// <summary>An operation whose response was never seen (timeout, connection error).</summary>
    public static Operation Unknown(int clientId, string key, OpKind kind, string? input, long callTime) =>
        new(clientId, key, kind, input, OpOutput.None, callTime, Infinity, OpOutcome.Unknown);

    public override string ToString() => Describe(0);

    /// <summary>Formats the operation with times shown relative to <paramref name="timeOrigin"/>.</summary>
    public string Describe(long timeOrigin)
    {
        string call = Kind == OpKind.Put ? $"Put({OpOutput.Quote(Input!)})" : Kind.ToString();
        string ret = Outcome == OpOutcome.Unknown ? "inf" : (ReturnTime - timeOrigin).ToString(CultureInfo.InvariantCulture);
        string start = (CallTime - timeOrigin).ToString(CultureInfo.InvariantCulture);
        return $"c{ClientId.ToString(CultureInfo.InvariantCulture)} {call} -> {Output} [{start} .. {ret}]";
    }

    private static bool IsLegalOutput(OpKind kind, OutputKind output) => kind switch
    {
        OpKind.Get => output is OutputKind.Absent or OutputKind.Present,
        OpKind.Put => output is OutputKind.Created or OutputKind.Replaced or OutputKind.Acknowledged,
        OpKind.Delete => output is OutputKind.Existed or OutputKind.NotExisted or OutputKind.Acknowledged,
        _ => false,
    };
}
