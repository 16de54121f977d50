using System;

namespace NLog.Targets.PyLog.Layouts
{
    /// <summary>
    /// Keeps masked values out of <c>message</c>. When masking is configured, the message is
    /// formatted again when a hole of its template names a masked property (<c>"Login {User}
    /// with {Password}"</c>: <c>***</c> in its place) or holds an object, dictionary or collection
    /// (<c>{@Data}</c>, <c>{Data}</c>, <c>{$Data}</c> alike): such a value is written as its masked
    /// JSON (the same rules as the property fields: masked members, depth limit, placeholders),
    /// never with NLog's serializer or its <c>ToString()</c>, which print every member. Finding
    /// the holes allocates nothing, so events that need neither cost one scan of the template.
    /// </summary>
    internal static class MessageTemplateMasking
    {
        /// <summary>The message as it may be written: <see cref="LogEventInfo.FormattedMessage"/>, or formatted again when masking needs it.</summary>
        public static string Format(LogEventInfo logEvent, JsonValueWriter values)
        {
            return NeedsMasking(logEvent, values.Mask)
                ? FormatMasked(logEvent, values)
                : logEvent.FormattedMessage ?? string.Empty;
        }

        /// <summary>Does <paramref name="logEvent"/>'s message need formatting again: a hole names a masked property or holds an object?</summary>
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
                object? value;
                if (hasParameters)
                {
                    if ((uint)index >= (uint)parameters!.Length)
                    {
                        continue;
                    }

                    value = parameters[index];
                }
                else if (!logEvent.Properties.TryGetValue(name.ToString(), out value))
                {
                    continue;
                }

                if (mask.IsMatch(name) || !JsonValueWriter.IsScalar(value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The message formatted again for a layout that holds only a name matcher: objects in holes
        /// get the masked JSON of the default depth limit (3). Prefer <see cref="PropertyMasking.FormatMessage"/>.
        /// </summary>
        public static string FormatMasked(LogEventInfo logEvent, PropertyNameMatcher mask) => FormatMasked(logEvent, new JsonValueWriter(mask, 3, 0));

        /// <summary>The message formatted with <c>***</c> for every masked parameter and masked JSON for every composite one.</summary>
        private static string FormatMasked(LogEventInfo logEvent, JsonValueWriter values)
        {
            PropertyNameMatcher mask = values.Mask;
            string template = logEvent.Message ?? string.Empty;
            object?[] parameters;
            var holes = new HoleReader(template);
            bool fromParameters = logEvent.Parameters is { Length: > 0 };
            // The '@' or '$' of a hole whose value becomes masked JSON is dropped, so that NLog
            // writes the JSON text as it is instead of serializing or quoting it again.
            System.Text.StringBuilder? rewritten = null;
            int copied = 0;
            if (fromParameters)
            {
                parameters = (object?[])logEvent.Parameters!.Clone();
                while (holes.Next(out ReadOnlySpan<char> name, out int index))
                {
                    if ((uint)index >= (uint)parameters.Length)
                    {
                        continue;
                    }

                    if (mask.IsMatch(name))
                    {
                        parameters[index] = "***";
                    }
                    else if (!JsonValueWriter.IsScalar(logEvent.Parameters[index]))
                    {
                        parameters[index] = new MaskedJson(values.RenderJson(logEvent.Parameters[index]));
                        DropCapture(template, holes.CapturePosition, ref rewritten, ref copied);
                    }
                }
            }
            else
            {
                // Rebuild the parameters, in hole order, from the event properties.
                var list = new System.Collections.Generic.List<object?>();
                while (holes.Next(out ReadOnlySpan<char> name, out _))
                {
                    string key = name.ToString();
                    object? value = logEvent.Properties.TryGetValue(key, out object? found) ? found : null;
                    if (mask.IsMatch(key))
                    {
                        value = "***";
                    }
                    else if (!JsonValueWriter.IsScalar(value))
                    {
                        value = new MaskedJson(values.RenderJson(value));
                        DropCapture(template, holes.CapturePosition, ref rewritten, ref copied);
                    }

                    list.Add(value);
                }

                parameters = list.ToArray();
            }

            if (rewritten != null)
            {
                rewritten.Append(template, copied, template.Length - copied);
                template = rewritten.ToString();
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

        private static void DropCapture(string template, int capturePosition, ref System.Text.StringBuilder? rewritten, ref int copied)
        {
            if (capturePosition < 0)
            {
                return;
            }

            rewritten ??= new System.Text.StringBuilder(template.Length);
            rewritten.Append(template, copied, capturePosition - copied);
            copied = capturePosition + 1;
        }

        /// <summary>A value already rendered as masked JSON; NLog writes a plain object's <c>ToString()</c> into a <c>{name}</c> hole.</summary>
        private sealed class MaskedJson
        {
            private readonly string _json;

            public MaskedJson(string json) => _json = json;

            public override string ToString() => _json;
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
                CapturePosition = -1;
            }

            /// <summary>Where the <c>@</c> or <c>$</c> of the last hole is in the template; -1 when it has none.</summary>
            public int CapturePosition { get; private set; }

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
                    CapturePosition = -1;
                    if (!hole.IsEmpty && (hole[0] == '@' || hole[0] == '$'))
                    {
                        CapturePosition = open + 1;
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
