using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

/// <summary>
/// The bytes a process allocated, by type, as the runtime's GCAllocationTick events sample them (one
/// event about every 100 KB allocated, naming the type of the object that crossed the mark). Record with
/// <c>dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:00:08 -o FILE.nettrace</c>.
/// </summary>
internal static class AllocReport
{
    public static void Print(string trace, int top)
    {
        var byType = new Dictionary<string, (long Bytes, int Samples)>(StringComparer.Ordinal);
        long total = 0;
        using (var source = new EventPipeEventSource(trace))
        {
            source.Clr.GCAllocationTick += (GCAllocationTickTraceData tick) =>
            {
                string type = tick.TypeName ?? "?";
                (long bytes, int samples) = byType.GetValueOrDefault(type);
                byType[type] = (bytes + tick.AllocationAmount64, samples + 1);
                total += tick.AllocationAmount64;
            };
            source.Process();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sampled {total / (1024 * 1024)} MB in {byType.Values.Sum(v => v.Samples)} samples"));
        foreach ((string type, (long bytes, int samples)) in byType.OrderByDescending(t => t.Value.Bytes).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{100.0 * bytes / Math.Max(total, 1),5:F1}% {samples,6} {type}"));
        }
    }
}
