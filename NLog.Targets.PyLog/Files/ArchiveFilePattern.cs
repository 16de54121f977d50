using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>The rolling period, set by the smallest unit of the <c>%d{…}</c> pattern.</summary>
    internal enum ArchivePeriod
    {
        None,
        Year,
        Month,
        Day,
        Hour,
        Minute,
        Second,
    }

    /// <summary>
    /// A parsed log4j2-style archive name: <c>dir/app-%d{yyyy-MM-dd-HH}-%i.log.gz</c>.
    /// Formats names for a (period, index) pair and recognises the names it produces; only
    /// names it recognises are ever deleted by retention.
    /// </summary>
    /// <remarks>
    /// <c>%d{…}</c> takes the letters <c>yyyy MM dd HH mm ss</c>, each at most once, and must
    /// hold every unit from the year down to its smallest one (so names sort and parse back to
    /// one instant). <c>%i</c> is the 1-based index within one period. <c>%%</c> is a literal
    /// percent sign. Both tokens are allowed in the file name only, not in the directory.
    /// </remarks>
    internal sealed class ArchiveFilePattern
    {
        private const string GzipExtension = ".gz";
        private static readonly string[] s_unitTokens = { "yyyy", "MM", "dd", "HH", "mm", "ss" };

        private readonly string _prefix;
        private readonly string _middle;
        private readonly string _suffix;
        private readonly bool _dateFirst;
        private readonly string? _dateFormat;
        private readonly Regex _finalName;
        private readonly Regex? _uncompressedName;

        private ArchiveFilePattern(string directory, string prefix, string middle, string suffix, bool dateFirst, string? dateFormat, bool hasIndex, ArchivePeriod period, Regex finalName, Regex? uncompressedName)
        {
            Directory = directory;
            _prefix = prefix;
            _middle = middle;
            _suffix = suffix;
            _dateFirst = dateFirst;
            _dateFormat = dateFormat;
            HasIndex = hasIndex;
            Period = period;
            _finalName = finalName;
            _uncompressedName = uncompressedName;
        }

        /// <summary>The full path of the folder that holds the archives.</summary>
        public string Directory { get; }

        public bool HasDate => _dateFormat != null;

        public bool HasIndex { get; }

        /// <summary>True when archive names end in <c>.gz</c>: archives are written uncompressed first, then gzip-compressed.</summary>
        public bool IsGzip => _uncompressedName != null;

        public ArchivePeriod Period { get; }

        /// <summary>Throws when this pattern cannot archive <paramref name="activePath"/> with the given size limit.</summary>
        public ArchiveFilePattern ValidateFor(string activePath, long archiveAboveSize)
        {
            if (archiveAboveSize > 0 && !HasIndex)
                throw new NLogConfigurationException("ArchiveFile: ArchiveFileName needs %i when ArchiveAboveSize is set, so that several archives of one period get distinct names.");
            if (!HasDate && archiveAboveSize == 0)
                throw new NLogConfigurationException("ArchiveFile: ArchiveFileName has no %d{...} and ArchiveAboveSize is 0, so the file would never roll; add %d{...} or set ArchiveAboveSize.");
            string activeName = System.IO.Path.GetFileName(activePath);
            if ((TryMatch(activeName, out _, out _) || TryMatchUncompressed(activeName, out _, out _)) && PathsEqual(Directory, System.IO.Path.GetDirectoryName(activePath) + System.IO.Path.DirectorySeparatorChar))
                throw new NLogConfigurationException("ArchiveFile: ArchiveFileName matches FileName '" + activePath + "'; retention would delete the active file.");
            return this;
        }

        /// <summary>Parses <paramref name="pattern"/> (already a full path); throws naming <paramref name="propertyName"/>.</summary>
        public static ArchiveFilePattern Parse(string pattern, string propertyName)
        {
            if (string.IsNullOrWhiteSpace(pattern))
                throw Invalid(propertyName, pattern, "it is empty");

            int lastSeparator = pattern.LastIndexOfAny(new[] { '/', '\\' });
            string directory = lastSeparator >= 0 ? pattern.Substring(0, lastSeparator + 1) : string.Empty;
            string fileName = pattern.Substring(lastSeparator + 1);
            if (directory.IndexOf('%') >= 0)
                throw Invalid(propertyName, pattern, "%d{...} and %i are allowed in the file name only, not in the directory");
            if (fileName.Length == 0)
                throw Invalid(propertyName, pattern, "it names a directory, not a file");

            var literal = new StringBuilder();
            var parts = new List<string>(3);        // literal text between the tokens
            var tokens = new List<char>(2);         // 'd' or 'i', in order
            string? dateSpec = null;
            for (int i = 0; i < fileName.Length; i++)
            {
                char c = fileName[i];
                if (c != '%')
                {
                    literal.Append(c);
                    continue;
                }

                char next = i + 1 < fileName.Length ? fileName[i + 1] : '\0';
                if (next == '%')
                {
                    literal.Append('%');
                    i++;
                }
                else if (next == 'i')
                {
                    if (tokens.Contains('i'))
                        throw Invalid(propertyName, pattern, "%i appears more than once");
                    parts.Add(literal.ToString());
                    literal.Clear();
                    tokens.Add('i');
                    i++;
                }
                else if (next == 'd')
                {
                    if (tokens.Contains('d'))
                        throw Invalid(propertyName, pattern, "%d{...} appears more than once");
                    if (i + 2 >= fileName.Length || fileName[i + 2] != '{')
                        throw Invalid(propertyName, pattern, "%d must be followed by a date pattern in braces, e.g. %d{yyyy-MM-dd}");
                    int close = fileName.IndexOf('}', i + 3);
                    if (close < 0)
                        throw Invalid(propertyName, pattern, "the '{' after %d is never closed");
                    dateSpec = fileName.Substring(i + 3, close - i - 3);
                    if (dateSpec.Length == 0)
                        throw Invalid(propertyName, pattern, "%d{} is empty; give a date pattern such as %d{yyyy-MM-dd}");
                    parts.Add(literal.ToString());
                    literal.Clear();
                    tokens.Add('d');
                    i = close;
                }
                else
                {
                    throw Invalid(propertyName, pattern, "unknown token '%" + (next == '\0' ? string.Empty : next.ToString()) + "'; use %d{...}, %i or %%");
                }
            }
            parts.Add(literal.ToString());

            if (tokens.Count == 0)
                throw Invalid(propertyName, pattern, "it has no varying part, so every archive would get the same name; add %d{...} and/or %i");

            string? dateFormat = null;
            string dateRegex = string.Empty;
            var period = ArchivePeriod.None;
            if (dateSpec != null)
                ParseDateSpec(dateSpec, pattern, propertyName, out dateFormat, out dateRegex, out period);

            bool hasIndex = tokens.Contains('i');
            bool dateFirst = tokens[0] == 'd';
            string prefix = parts[0];
            string middle = tokens.Count == 2 ? parts[1] : string.Empty;
            string suffix = parts[parts.Count - 1];

            var regex = new StringBuilder("^").Append(Regex.Escape(prefix));
            for (int t = 0; t < tokens.Count; t++)
            {
                regex.Append(tokens[t] == 'd' ? "(?<d>" + dateRegex + ")" : "(?<i>[0-9]{1,9})");
                if (t == 0 && tokens.Count == 2)
                    regex.Append(Regex.Escape(middle));
            }

            var options = RegexOptions.CultureInvariant | (OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None);
            Regex finalName = new Regex(regex.ToString() + Regex.Escape(suffix) + "$", options);
            Regex? uncompressed = null;
            if (suffix.EndsWith(GzipExtension, StringComparison.OrdinalIgnoreCase))
            {
                string plainSuffix = suffix.Substring(0, suffix.Length - GzipExtension.Length);
                uncompressed = new Regex(regex.ToString() + Regex.Escape(plainSuffix) + "$", options);
            }

            return new ArchiveFilePattern(directory, prefix, middle, suffix, dateFirst, dateFormat, hasIndex, period, finalName, uncompressed);
        }

        /// <summary>The full path of the archive for <paramref name="periodStart"/> and <paramref name="index"/>.</summary>
        public string Format(DateTime periodStart, int index)
        {
            string date = _dateFormat != null ? periodStart.ToString(_dateFormat, CultureInfo.InvariantCulture) : string.Empty;
            string number = HasIndex ? index.ToString(CultureInfo.InvariantCulture) : string.Empty;
            string first = _dateFirst ? date : number;
            string second = _dateFirst ? number : date;
            return Directory + _prefix + first + _middle + second + _suffix;
        }

        /// <summary>The name an archive has before compression (the final name without <c>.gz</c>).</summary>
        public static string UncompressedName(string finalPath) => finalPath.Substring(0, finalPath.Length - GzipExtension.Length);

        /// <summary>Recognises a final archive name (file name only, no directory).</summary>
        public bool TryMatch(string fileName, out DateTime periodStart, out int index) => TryMatch(_finalName, fileName, out periodStart, out index);

        /// <summary>Recognises an archive that still waits for compression (gzip patterns only).</summary>
        public bool TryMatchUncompressed(string fileName, out DateTime periodStart, out int index)
        {
            if (_uncompressedName is null)
            {
                periodStart = default;
                index = 0;
                return false;
            }
            return TryMatch(_uncompressedName, fileName, out periodStart, out index);
        }

        /// <summary>The start of the period that holds <paramref name="local"/>.</summary>
        public DateTime PeriodStart(DateTime local)
        {
            switch (Period)
            {
                case ArchivePeriod.Year: return new DateTime(local.Year, 1, 1, 0, 0, 0, local.Kind);
                case ArchivePeriod.Month: return new DateTime(local.Year, local.Month, 1, 0, 0, 0, local.Kind);
                case ArchivePeriod.Day: return local.Date;
                case ArchivePeriod.Hour: return new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, local.Kind);
                case ArchivePeriod.Minute: return new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, local.Kind);
                case ArchivePeriod.Second: return new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second, local.Kind);
                default: return DateTime.MinValue;
            }
        }

        /// <summary>The start of the period after the one starting at <paramref name="periodStart"/>.</summary>
        public DateTime NextPeriodStart(DateTime periodStart)
        {
            switch (Period)
            {
                case ArchivePeriod.Year: return periodStart.AddYears(1);
                case ArchivePeriod.Month: return periodStart.AddMonths(1);
                case ArchivePeriod.Day: return periodStart.AddDays(1);
                case ArchivePeriod.Hour: return periodStart.AddHours(1);
                case ArchivePeriod.Minute: return periodStart.AddMinutes(1);
                case ArchivePeriod.Second: return periodStart.AddSeconds(1);
                default: return DateTime.MaxValue;
            }
        }

        private bool TryMatch(Regex regex, string fileName, out DateTime periodStart, out int index)
        {
            periodStart = DateTime.MinValue;
            index = 0;
            var match = regex.Match(fileName);
            if (!match.Success)
                return false;
            if (_dateFormat != null && !DateTime.TryParseExact(match.Groups["d"].Value, _dateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out periodStart))
                return false;
            return !HasIndex || int.TryParse(match.Groups["i"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out index);
        }

        private static void ParseDateSpec(string spec, string pattern, string propertyName, out string dateFormat, out string dateRegex, out ArchivePeriod period)
        {
            var format = new StringBuilder();
            var regex = new StringBuilder();
            var seen = new bool[s_unitTokens.Length];
            int smallest = -1;
            for (int i = 0; i < spec.Length;)
            {
                char c = spec[i];
                if (!char.IsLetter(c))
                {
                    if (c == '{' || c == '%' || c == '\'' || c == '"' || Array.IndexOf(Path.GetInvalidFileNameChars(), c) >= 0 || c == '/' || c == '\\' || c == ':')
                        throw Invalid(propertyName, pattern, "the date pattern %d{" + spec + "} contains '" + c + "', which cannot be part of a file name");
                    format.Append('\\').Append(c);
                    regex.Append(Regex.Escape(c.ToString()));
                    i++;
                    continue;
                }

                int run = 1;
                while (i + run < spec.Length && spec[i + run] == c)
                    run++;
                string token = spec.Substring(i, run);
                int unit = Array.IndexOf(s_unitTokens, token);
                if (unit < 0)
                    throw Invalid(propertyName, pattern, "unknown token '" + token + "' in %d{" + spec + "}; use yyyy, MM, dd, HH, mm, ss");
                if (seen[unit])
                    throw Invalid(propertyName, pattern, "'" + token + "' appears twice in %d{" + spec + "}");
                seen[unit] = true;
                smallest = Math.Max(smallest, unit);
                format.Append(token);
                regex.Append("[0-9]{").Append(run).Append('}');
                i += run;
            }

            if (smallest < 0)
                throw Invalid(propertyName, pattern, "%d{" + spec + "} holds no date letters; use yyyy, MM, dd, HH, mm, ss");
            for (int unit = 0; unit <= smallest; unit++)
            {
                if (!seen[unit])
                    throw Invalid(propertyName, pattern, "%d{" + spec + "} lacks '" + s_unitTokens[unit] + "'; every unit from yyyy down to " + s_unitTokens[smallest] + " is needed so that names sort and parse back to their period");
            }

            dateFormat = format.ToString();
            dateRegex = regex.ToString();
            period = (ArchivePeriod)(smallest + 1);
        }

        private static NLogConfigurationException Invalid(string propertyName, string pattern, string reason)
            => new NLogConfigurationException("ArchiveFile: " + propertyName + " '" + pattern + "' is invalid: " + reason + ".");

        private static bool PathsEqual(string a, string b)
            => string.Equals(System.IO.Path.GetFullPath(a), System.IO.Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
