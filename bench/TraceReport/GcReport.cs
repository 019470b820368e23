using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

/// <summary>
/// Every pause of a process's garbage collector, in time order with its wall-clock time (UTC, to set
/// beside the failover benchmark's kill, exclusion and slow requests), its generation and why it ran.
/// A pause runs from the runtime suspending the threads to restarting them (GCSuspendEEStart to
/// GCRestartEEStop), so it is what the process's requests waited. Record with
/// <c>dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x1:4 --duration 00:00:00:20 -o FILE.nettrace</c>.
/// </summary>
internal static class GcReport
{
    public static void Print(string trace, int top)
    {
        var pauses = new List<(DateTime At, double Ms, int Generation, string Reason, string Type)>();
        DateTime? suspended = null;
        (int Generation, string Reason, string Type)? collection = null;
        using (var source = new EventPipeEventSource(trace))
        {
            source.Clr.GCSuspendEEStart += (GCSuspendEETraceData e) => suspended ??= e.TimeStamp;
            source.Clr.GCStart += (GCStartTraceData e) => collection = (e.Depth, e.Reason.ToString(), e.Type.ToString());
            source.Clr.GCRestartEEStop += (GCNoUserDataTraceData e) =>
            {
                if (suspended is { } start)
                {
                    // A background collection's own suspensions have no GCStart of their own: they keep its generation.
                    (int generation, string reason, string type) = collection ?? (-1, "?", "?");
                    pauses.Add((start.ToUniversalTime(), (e.TimeStamp - start).TotalMilliseconds, generation, reason, type));
                }

                suspended = null;
                collection = null;
            };
            source.Process();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pauses.Count} pauses, {pauses.Sum(p => p.Ms):F0} ms in all, longest {(pauses.Count == 0 ? 0 : pauses.Max(p => p.Ms)):F1} ms"));
        foreach (IGrouping<int, (DateTime At, double Ms, int Generation, string Reason, string Type)> generation in pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  gen{(generation.Key < 0 ? "?" : generation.Key.ToString(CultureInfo.InvariantCulture))}: {generation.Count(),5} pauses {generation.Sum(p => p.Ms),8:F1} ms, longest {generation.Max(p => p.Ms),6:F1} ms"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pauses over 1 ms (at most {top}):"));
        foreach ((DateTime at, double ms, int generation, string reason, string type) in pauses.Where(p => p.Ms > 1).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {at:HH:mm:ss.fff} {ms,7:F1} ms gen{generation} {type} {reason}"));
        }
    }
}
