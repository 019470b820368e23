using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

/// <summary>
/// Every pause of a process's garbage collector, in time order with its wall-clock time (UTC, to set
/// beside the failover benchmark's kill, exclusion and slow requests), its generation and why it ran.
/// A pause runs from the runtime suspending the threads to restarting them (GCSuspendEEStart to
/// GCRestartEEStop), so it is what the process's requests waited. Each pause is split into the time
/// the runtime took to stop every managed thread (GCSuspendEEStart to GCSuspendEEStop: threads that
/// run managed code must first be given a core to reach a safe point), the collection's own work
/// (GCStart to GCEnd) and what that collection promoted (GCHeapStats). Record with
/// <c>dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x1:4 --duration 00:00:00:20 -o FILE.nettrace</c>.
/// </summary>
internal static class GcReport
{
    private sealed record Pause(DateTime At, double Ms, double SuspendMs, double WorkMs, long PromotedBytes, int Generation, string Reason, string Type);

    public static void Print(string trace, int top)
    {
        var pauses = new List<Pause>();
        DateTime? suspended = null;
        double suspendMs = 0;
        DateTime? collecting = null;
        double workMs = 0;
        long promoted = 0;
        (int Generation, string Reason, string Type)? collection = null;
        using (var source = new EventPipeEventSource(trace))
        {
            source.Clr.GCSuspendEEStart += (GCSuspendEETraceData e) => suspended ??= e.TimeStamp;
            source.Clr.GCSuspendEEStop += (GCNoUserDataTraceData e) =>
            {
                if (suspended is { } start)
                {
                    suspendMs += (e.TimeStamp - start).TotalMilliseconds;
                }
            };
            source.Clr.GCStart += (GCStartTraceData e) =>
            {
                collection = (e.Depth, e.Reason.ToString(), e.Type.ToString());
                collecting = e.TimeStamp;
            };
            source.Clr.GCStop += (GCEndTraceData e) =>
            {
                if (collecting is { } start)
                {
                    workMs += (e.TimeStamp - start).TotalMilliseconds;
                }

                collecting = null;
            };
            source.Clr.GCHeapStats += (GCHeapStatsTraceData e) => promoted += e.TotalPromotedSize0 + e.TotalPromotedSize1;
            source.Clr.GCRestartEEStop += (GCNoUserDataTraceData e) =>
            {
                if (suspended is { } start)
                {
                    // A background collection's own suspensions have no GCStart of their own: they keep its generation.
                    (int generation, string reason, string type) = collection ?? (-1, "?", "?");
                    pauses.Add(new Pause(start.ToUniversalTime(), (e.TimeStamp - start).TotalMilliseconds, suspendMs, workMs, promoted, generation, reason, type));
                }

                suspended = null;
                suspendMs = 0;
                workMs = 0;
                promoted = 0;
                collection = null;
            };
            source.Process();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pauses.Count} pauses, {pauses.Sum(p => p.Ms):F0} ms in all (suspending {pauses.Sum(p => p.SuspendMs):F0} ms), longest {(pauses.Count == 0 ? 0 : pauses.Max(p => p.Ms)):F1} ms"));
        foreach (IGrouping<int, Pause> generation in pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  gen{(generation.Key < 0 ? "?" : generation.Key.ToString(CultureInfo.InvariantCulture))}: {generation.Count(),5} pauses {generation.Sum(p => p.Ms),8:F1} ms, longest {generation.Max(p => p.Ms),6:F1} ms"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pauses over 1 ms (at most {top}): time, pause, of it suspending the threads and the collection's work, promoted"));
        foreach (Pause p in pauses.Where(p => p.Ms > 1).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p.At:HH:mm:ss.fff} {p.Ms,7:F1} ms (suspend {p.SuspendMs,6:F1}, work {p.WorkMs,6:F1}) {p.PromotedBytes / 1024,7} KB gen{p.Generation} {p.Type} {p.Reason}"));
        }
    }
}
