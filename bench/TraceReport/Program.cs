using System.Globalization;

// TraceReport alloc|jit|gc FILE.nettrace [TOP]: reads a trace recorded with dotnet-trace.
//   alloc  what the process allocated, by type (AllocReport; record with --providers Microsoft-Windows-DotNETRuntime:0x1:5)
//   jit    what its JIT compiled, timed, and the exceptions it threw (JitReport; --providers Microsoft-Windows-DotNETRuntime:0x8010:5)
//   gc     every pause of its garbage collector, timed (GcReport; --providers Microsoft-Windows-DotNETRuntime:0x1:4)
if (args.Length is < 2 or > 3 || args[0] is not ("alloc" or "jit" or "gc"))
{
    Console.Error.WriteLine("usage: TraceReport alloc|jit|gc FILE.nettrace [TOP]");
    return 2;
}

int? top = args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : null;
if (args[0] == "alloc")
{
    AllocReport.Print(args[1], top ?? 20);
}
else if (args[0] == "jit")
{
    JitReport.Print(args[1], top ?? 30);
}
else
{
    GcReport.Print(args[1], top ?? 60);
}

return 0;
