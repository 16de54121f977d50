using System;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Keeps masked values out of <c>message</c>: when a hole of the message template names a
    /// masked property (<c>"Login {User} with {Password}"</c>), the message is formatted again
    /// with <c>***</c> for that parameter. Finding the holes allocates nothing, so events whose
    /// template names no masked property cost one scan of the template.
    /// </summary>
    internal static class MessageTemplateMasking
    {
        public static bool NeedsMasking(LogEventInfo logEvent, PropertyNameMatcher mask)
        {
            string? template = logEvent.Message;
            if (mask.IsEmpty || template is null || template.IndexOf('{') < 0)
            {
                return false;
            }

            // NLog's generic Logger overloads keep the values only as properties (Parameters is null).
            object?[]? parameters = logEvent.Parameters;
            bool hasParameters = parameters != null && parameters.Length > 0;
            if (!hasParameters && !logEvent.HasProperties)
            {
                return false;
            }

            var holes = new HoleReader(template);
            while (holes.Next(out ReadOnlySpan<char> name, out int index))
            {
                if (mask.IsMatch(name) && (hasParameters ? (uint)index < (uint)parameters!.Length : logEvent.Properties.ContainsKey(name.ToString())))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The message formatted with <c>***</c> in place of every masked parameter.</summary>
        public static string FormatMasked(LogEventInfo logEvent, PropertyNameMatcher mask)
        {
            string template = logEvent.Message ?? string.Empty;
            object?[] parameters;
            var holes = new HoleReader(template);
            bool fromParameters = logEvent.Parameters is { Length: > 0 };
            if (fromParameters)
            {
                parameters = (object?[])logEvent.Parameters!.Clone();
                while (holes.Next(out ReadOnlySpan<char> name, out int index))
                {
                    if ((uint)index < (uint)parameters.Length && mask.IsMatch(name))
                    {
                        parameters[index] = "***";
                    }
                }
            }
            else
            {
                // Rebuild the parameters, in hole order, from the event properties.
                var values = new System.Collections.Generic.List<object?>();
                while (holes.Next(out ReadOnlySpan<char> name, out _))
                {
                    string key = name.ToString();
                    values.Add(mask.IsMatch(key) ? "***" : (logEvent.Properties.TryGetValue(key, out object? value) ? value : null));
                }

                parameters = values.ToArray();
            }

            var masked = new LogEventInfo(logEvent.Level, logEvent.LoggerName, logEvent.FormatProvider, template, parameters);
            // Without Parameters NLog formatted the message up front and its formatter returns it
            // unchanged: only reuse the formatter of an event that carries Parameters.
            if (fromParameters && logEvent.MessageFormatter != null)
            {
                masked.MessageFormatter = logEvent.MessageFormatter;
            }

            return masked.FormattedMessage ?? string.Empty;
        }

        /// <summary>
        /// Walks the holes of a message template: <c>{name}</c>, <c>{@name}</c>, <c>{$name}</c>,
        /// <c>{name,alignment:format}</c>; <c>{{</c> and <c>}}</c> are literal braces. A numeric
        /// hole (<c>{0}</c>) refers to that parameter; named holes take the parameters in order.
        /// </summary>
        private ref struct HoleReader
        {
            private readonly ReadOnlySpan<char> _template;
            private int _position;
            private int _namedCount;

            public HoleReader(string template)
            {
                _template = template;
                _position = 0;
                _namedCount = 0;
            }

            public bool Next(out ReadOnlySpan<char> name, out int index)
            {
                while (_position < _template.Length)
                {
                    int open = _template.Slice(_position).IndexOf('{');
                    if (open < 0)
                    {
                        break;
                    }

                    open += _position;
                    if (open + 1 < _template.Length && _template[open + 1] == '{')
                    {
                        _position = open + 2;
                        continue;
                    }

                    int close = _template.Slice(open + 1).IndexOf('}');
                    if (close < 0)
                    {
                        break;
                    }

                    ReadOnlySpan<char> hole = _template.Slice(open + 1, close);
                    _position = open + close + 2;
                    if (!hole.IsEmpty && (hole[0] == '@' || hole[0] == '$'))
                    {
                        hole = hole.Slice(1);
                    }

                    int end = hole.IndexOfAny(',', ':');
                    name = (end < 0 ? hole : hole.Slice(0, end)).Trim();
                    if (name.IsEmpty)
                    {
                        continue;
                    }

                    if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int position))
                    {
                        index = position;
                    }
                    else
                    {
                        index = _namedCount++;
                    }

                    return true;
                }

                name = default;
                index = -1;
                return false;
            }
        }
    }
}
