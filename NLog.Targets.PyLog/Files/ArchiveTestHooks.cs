using System;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// Points at which the multi-process tests stop a writer, to kill it exactly there. Unset (and
    /// costing one null check per archive) everywhere else.
    /// </summary>
    internal static class ArchiveTestHooks
    {
        /// <summary>On the logging thread, once the active file is renamed to an archive, with the roll lock held.</summary>
        public static Action<string>? AfterRename { get; set; }

        /// <summary>On the archive worker, once the first block of an archive is in its temporary file.</summary>
        public static Action<string>? DuringCompression { get; set; }
    }
}
