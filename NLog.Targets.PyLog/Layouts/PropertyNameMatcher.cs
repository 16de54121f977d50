using System;
using System.Collections.Generic;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Case-insensitive matcher for a comma-separated list of names and <c>*</c> wildcards
    /// (<c>password,*token*,api_*</c>). Matching allocates nothing.
    /// </summary>
    internal sealed class PropertyNameMatcher
    {
        private readonly HashSet<string> _exactNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private string[] _exactNameList = Array.Empty<string>();
        private readonly List<WildcardPattern> _patterns = new List<WildcardPattern>();

        private PropertyNameMatcher()
        {
        }

        public bool IsEmpty => _exactNames.Count == 0 && _patterns.Count == 0;

        /// <summary>Parses <paramref name="list"/>; returns <c>null</c> and an error message for an empty entry.</summary>
        public static PropertyNameMatcher? Parse(string? list, out string? error)
        {
            error = null;
            var matcher = new PropertyNameMatcher();
            if (string.IsNullOrWhiteSpace(list))
            {
                return matcher;
            }

            foreach (string entry in list.Split(','))
            {
                string pattern = entry.Trim();
                if (pattern.Length == 0)
                {
                    error = "contains an empty pattern";
                    return null;
                }

                if (pattern.IndexOf('*') < 0)
                {
                    matcher._exactNames.Add(pattern);
                }
                else
                {
                    matcher._patterns.Add(new WildcardPattern(pattern));
                }
            }

            matcher._exactNameList = new string[matcher._exactNames.Count];
            matcher._exactNames.CopyTo(matcher._exactNameList);
            return matcher;
        }

        public bool IsMatch(ReadOnlySpan<char> name)
        {
            foreach (string exact in _exactNameList)
            {
                if (name.Equals(exact, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return IsPatternMatch(name);
        }

        public bool IsMatch(string name)
        {
            if (_exactNames.Count > 0 && _exactNames.Contains(name))
            {
                return true;
            }

            return IsPatternMatch(name);
        }

        private bool IsPatternMatch(ReadOnlySpan<char> name)
        {
            for (int i = 0; i < _patterns.Count; i++)
            {
                if (_patterns[i].IsMatch(name))
                {
                    return true;
                }
            }

            return false;
        }

        private sealed class WildcardPattern
        {
            private readonly string[] _segments;
            private readonly bool _anchoredStart;
            private readonly bool _anchoredEnd;

            public WildcardPattern(string pattern)
            {
                _anchoredStart = pattern[0] != '*';
                _anchoredEnd = pattern[pattern.Length - 1] != '*';
                _segments = pattern.Split('*', StringSplitOptions.RemoveEmptyEntries);
            }

            public bool IsMatch(ReadOnlySpan<char> name)
            {
                ReadOnlySpan<char> rest = name;
                for (int i = 0; i < _segments.Length; i++)
                {
                    ReadOnlySpan<char> segment = _segments[i];
                    bool first = i == 0;
                    bool last = i == _segments.Length - 1;
                    if (first && _anchoredStart)
                    {
                        if (!rest.StartsWith(segment, StringComparison.OrdinalIgnoreCase))
                        {
                            return false;
                        }

                        rest = rest.Slice(segment.Length);
                        if (last && _anchoredEnd)
                        {
                            return rest.IsEmpty;
                        }

                        continue;
                    }

                    if (last && _anchoredEnd)
                    {
                        return rest.EndsWith(segment, StringComparison.OrdinalIgnoreCase);
                    }

                    int at = rest.IndexOf(segment, StringComparison.OrdinalIgnoreCase);
                    if (at < 0)
                    {
                        return false;
                    }

                    rest = rest.Slice(at + segment.Length);
                }

                // Only '*' characters, or every segment consumed with a trailing '*'.
                return true;
            }
        }
    }
}
