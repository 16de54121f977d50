using System;
using System.Collections.Generic;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>What <c>PyLogJsonLayout.Precalculate</c> captured for one event on the logging thread.</summary>
    internal sealed class Snapshot
    {
        public Snapshot(byte[] bytes, bool isComplete)
        {
            Bytes = bytes;
            IsComplete = isComplete;
        }

        /// <summary>The whole event, or only the scope-property members (<c>,"name":value...</c>).</summary>
        public byte[] Bytes { get; }

        public bool IsComplete { get; }
    }

    /// <summary>The options as they were at initialization, so a rendering never sees half-changed settings.</summary>
    internal sealed class RenderSettings
    {
        public RenderSettings(CompiledAttribute[] attributes, HashSet<string> reservedNames, HashSet<string> exclude, JsonValueWriter values, bool includeEventProperties, bool includeScopeProperties, bool useLocalTime)
        {
            Attributes = attributes;
            ReservedNames = reservedNames;
            Exclude = exclude;
            Values = values;
            IncludeEventProperties = includeEventProperties;
            IncludeScopeProperties = includeScopeProperties;
            UseLocalTime = useLocalTime;
            foreach (string name in reservedNames)
            {
                _reservedLengths |= 1UL << Math.Min(name.Length, 63);
            }

            Names = new EncodedNameCache(CreateNameEntry);
        }

        public EncodedNameCache Names { get; }

        public EncodedLoggerCache Loggers { get; } = new EncodedLoggerCache();

        // Bit n set: some reserved name has length n. Most property names fail this test and skip the hash lookup.
        private readonly ulong _reservedLengths;

        public CompiledAttribute[] Attributes { get; }

        public HashSet<string> ReservedNames { get; }

        public HashSet<string> Exclude { get; }

        public JsonValueWriter Values { get; }

        public bool IncludeEventProperties { get; }

        public bool IncludeScopeProperties { get; }

        public bool UseLocalTime { get; }

        private EncodedNameCache.Entry CreateNameEntry(string name)
        {
            var prefix = new Utf8JsonBuffer(name.Length + 8);
            if (NeedsPrefix(name))
            {
                prefix.WriteRaw(",\"_"u8);
                prefix.WriteStringContent(name);
                prefix.WriteRaw("\":"u8);
            }
            else
            {
                prefix.WriteByte((byte)',');
                prefix.WritePropertyName(name);
            }

            return new EncodedNameCache.Entry(name, prefix.WrittenSpan.ToArray(), Values.IsMasked(name), Exclude.Count > 0 && Exclude.Contains(name));
        }

        /// <summary>
        /// Does a property of this name get a <c>_</c> prefix? Yes for a fixed field or custom
        /// attribute name, and for <c>_</c> + any name that gets one, so that properties named
        /// <c>message</c> and <c>_message</c> come out as <c>_message</c> and <c>__message</c>.
        /// </summary>
        private bool NeedsPrefix(string name)
        {
            for (int start = 0; ; start++)
            {
                if (IsReserved(start == 0 ? name : name.Substring(start)))
                    return true;
                if (start >= name.Length || name[start] != '_')
                    return false;
            }
        }

        /// <summary>Is <paramref name="name"/> a fixed field or a custom attribute?</summary>
        public bool IsReserved(string name) => (_reservedLengths & (1UL << Math.Min(name.Length, 63))) != 0 && ReservedNames.Contains(name);
    }

    /// <summary>A custom attribute ready to write: its encoded name, and the whole field when it never changes.</summary>
    internal sealed class CompiledAttribute
    {
        public CompiledAttribute(PyLogJsonAttribute attribute, bool masked)
        {
            Layout = attribute.Layout ?? Layout.Empty;
            Encode = attribute.Encode;
            IncludeEmptyValue = attribute.IncludeEmptyValue;
            Masked = masked;

            var prefix = new Utf8JsonBuffer(64);
            prefix.WriteByte((byte)',');
            prefix.WritePropertyName(attribute.Name);
            Prefix = prefix.WrittenSpan.ToArray();

            if (masked)
            {
                prefix.WriteRaw(JsonValueWriter.MaskedValue);
                FixedField = prefix.WrittenSpan.ToArray();
            }
            else if (Layout is SimpleLayout { IsFixedText: true } fixedLayout)
            {
                string text = fixedLayout.FixedText ?? string.Empty;
                if (text.Length == 0 && !IncludeEmptyValue)
                {
                    FixedField = Array.Empty<byte>();
                }
                else
                {
                    prefix.WriteAttributeValue(text, Encode);
                    FixedField = prefix.WrittenSpan.ToArray();
                }
            }
        }

        public Layout Layout { get; }

        public bool Encode { get; }

        public bool IncludeEmptyValue { get; }

        public bool Masked { get; }

        /// <summary><c>,"name":</c> in UTF-8.</summary>
        public byte[] Prefix { get; }

        /// <summary>The whole field when it never changes (fixed text or masked), else <c>null</c>.</summary>
        public byte[]? FixedField { get; }
    }
}
