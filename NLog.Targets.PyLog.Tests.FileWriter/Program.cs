using System;
using System.Globalization;
using System.Threading;
using NLog;
using NLog.Config;
using NLog.Targets.PyLog;
using NLog.Targets.PyLog.Files;

// One writer of the ArchiveFile multi-process tests.
//   FileWriter <fileName> <archiveFileName> <writerId> <lines> [option=value ...]
// Options: archiveAboveSize, maxArchiveFiles, concurrentWrites (true/false), hang (roll|compress:
// print "HANG <path>" and stop at that point for the test to kill the process).
// Each line is "<writerId>:<number>:<padding>"; the process prints "READY" once the target is
// initialized, "DONE" after Shutdown(), or "REFUSED <message>" and exits 3 when initialization fails.
string fileName = args[0];
string archiveFileName = args[1];
string writerId = args[2];
int lines = int.Parse(args[3], CultureInfo.InvariantCulture);
long archiveAboveSize = 0;
int maxArchiveFiles = 0;
bool concurrent = true;
string hang = string.Empty;
for (int i = 4; i < args.Length; i++)
{
    string[] pair = args[i].Split('=', 2);
    switch (pair[0])
    {
        case "archiveAboveSize": archiveAboveSize = long.Parse(pair[1], CultureInfo.InvariantCulture); break;
        case "maxArchiveFiles": maxArchiveFiles = int.Parse(pair[1], CultureInfo.InvariantCulture); break;
        case "concurrentWrites": concurrent = bool.Parse(pair[1]); break;
        case "hang": hang = pair[1]; break;
        default: throw new ArgumentException("unknown option " + args[i]);
    }
}

// A kill that lands inside write() can cut that buffer short (the kernel stops at a page); the
// tests pin what the others and the next start do, so the writing thread parks between lines first.
var stopWriting = new ManualResetEventSlim();
var parked = new ManualResetEventSlim();
Action<string> stop = path =>
{
    if (hang == "compress")
    {
        stopWriting.Set();
        parked.Wait();
    }
    Console.Out.WriteLine("HANG " + path);
    Console.Out.Flush();
    Thread.Sleep(Timeout.Infinite);
};
if (hang == "roll")
    ArchiveTestHooks.AfterRename = stop;
else if (hang == "compress")
    ArchiveTestHooks.DuringCompression = stop;

var target = new ArchiveFileTarget
{
    Name = "shared",
    FileName = fileName,
    ArchiveFileName = archiveFileName.Length > 0 ? (NLog.Layouts.Layout)archiveFileName : null,
    ArchiveAboveSize = archiveAboveSize,
    MaxArchiveFiles = maxArchiveFiles,
    ConcurrentWrites = concurrent,
    Layout = "${message}",
};
var factory = new LogFactory { ThrowConfigExceptions = true };
var config = new LoggingConfiguration(factory);
config.AddRuleForAllLevels(target);
try
{
    factory.Configuration = config;
}
catch (NLogConfigurationException ex)
{
    Console.Out.WriteLine("REFUSED " + ex.Message);
    return 3;
}
Console.Out.WriteLine("READY");
Console.Out.Flush();

var logger = factory.GetLogger("writer");
string padding = new string('x', 40);
for (int i = 0; i < lines; i++)
{
    if (stopWriting.IsSet)
    {
        // what it buffered is lost with the kill, as it would be; the lines before are in the file
        parked.Set();
        Thread.Sleep(Timeout.Infinite);
    }
    logger.Info(writerId + ":" + i.ToString(CultureInfo.InvariantCulture) + ":" + padding);
}
factory.Shutdown();
Console.Out.WriteLine("DONE");
return 0;
