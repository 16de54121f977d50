using System;
using System.Collections.Generic;
using System.Text;
using NLog.LayoutRenderers;
using NLog.Layouts;

namespace NLog.Targets.PyLog.Files
{
    /// <summary>
    /// A UTF-8 rendering of the common line layouts, made of literals, <c>${longdate}</c>,
    /// <c>${level}</c>, <c>${logger}</c> and <c>${message}</c>, byte for byte what NLog renders: literals,
    /// level and logger names are encoded once, the date part of <c>${longdate}</c> once per second, and
    /// only the message goes through a <see cref="StringBuilder"/> and the encoder.
    /// </summary>
    /// <remarks>
    /// Any other renderer, or an option of these it does not reproduce (<c>${level:format=…}</c>,
    /// <c>${logger:shortName=true}</c>, <c>${message:raw=true}</c>, <c>withException</c>…), leaves the layout to
    /// NLog: <see cref="TryCompile"/> returns null.
    /// </remarks>
    internal sealed class CompiledLineLayout
    {
        private static readonly UTF8Encoding s_utf8 = new UTF8Encoding(false);

        private readonly Part[] _parts;
        private readonly Layout _message = new SimpleLayout("${message}");
        private readonly StringBuilder _builder = new StringBuilder(128);
        private readonly byte[][] _levels = new byte[LogLevel.Off.Ordinal + 1][];
        private readonly byte[][] _upperLevels = new byte[LogLevel.Off.Ordinal + 1][];
        private readonly byte[] _date = new byte[20];   // "yyyy-MM-dd HH:mm:ss."
        private long _dateSecond = -1;
        private bool _dateUniversal;
        private string? _loggerName;
        private byte[] _loggerBytes = Array.Empty<byte>();
        private char[] _chars = new char[256];

        private CompiledLineLayout(Part[] parts)
        {
            _parts = parts;
            for (int ordinal = 0; ordinal < _levels.Length; ordinal++)
            {
                string name = LogLevel.FromOrdinal(ordinal).Name;
                _levels[ordinal] = s_utf8.GetBytes(name);
                _upperLevels[ordinal] = s_utf8.GetBytes(name.ToUpperInvariant());
            }
        }

        private enum Kind
        {
            Literal,
            LongDate,
            LongDateUniversal,
            Level,
            LevelUppercase,
            Logger,
            Message,
        }

        /// <summary>The compiled form of <paramref name="layout"/>, or null when it holds anything else.</summary>
        public static CompiledLineLayout? TryCompile(Layout layout)
        {
            if (layout is not SimpleLayout simple)
                return null;
            var parts = new List<Part>();
            foreach (var renderer in simple.LayoutRenderers)
            {
                switch (renderer)
                {
                    case LiteralLayoutRenderer literal:
                        parts.Add(new Part(Kind.Literal, s_utf8.GetBytes(literal.Text ?? string.Empty)));
                        break;
                    case LongDateLayoutRenderer date:
                        parts.Add(new Part(date.UniversalTime ? Kind.LongDateUniversal : Kind.LongDate, null));
                        break;
                    case LevelLayoutRenderer level when level.Format == LevelFormat.Name:
                        parts.Add(new Part(level.Uppercase ? Kind.LevelUppercase : Kind.Level, null));
                        break;
                    case LoggerNameLayoutRenderer logger when !logger.ShortName && !logger.PrefixName:
                        parts.Add(new Part(Kind.Logger, null));
                        break;
                    case MessageLayoutRenderer message when !message.Raw && !message.WithException:
                        parts.Add(new Part(Kind.Message, null));
                        break;
                    default:
                        return null;
                }
            }
            return new CompiledLineLayout(parts.ToArray());
        }

        public void Render(LogEventInfo logEvent, LineBuffer output)
        {
            var parts = _parts;
            for (int i = 0; i < parts.Length; i++)
            {
                switch (parts[i].Kind)
                {
                    case Kind.Literal:
                        output.Write(parts[i].Bytes);
                        break;
                    case Kind.LongDate:
                        WriteLongDate(logEvent.TimeStamp, universal: false, output);
                        break;
                    case Kind.LongDateUniversal:
                        WriteLongDate(logEvent.TimeStamp.ToUniversalTime(), universal: true, output);
                        break;
                    case Kind.Level:
                        output.Write(_levels[logEvent.Level.Ordinal]);
                        break;
                    case Kind.LevelUppercase:
                        output.Write(_upperLevels[logEvent.Level.Ordinal]);
                        break;
                    case Kind.Logger:
                        WriteLogger(logEvent.LoggerName, output);
                        break;
                    default:
                        WriteMessage(logEvent, output);
                        break;
                }
            }
        }

        /// <summary>As NLog's <c>${longdate}</c>: <c>yyyy-MM-dd HH:mm:ss.ffff</c>, the fraction truncated.</summary>
        private void WriteLongDate(DateTime time, bool universal, LineBuffer output)
        {
            long second = time.Ticks / TimeSpan.TicksPerSecond;
            if (second != _dateSecond || universal != _dateUniversal)
            {
                var date = _date;
                Digits(date, 0, time.Year, 4);
                date[4] = (byte)'-';
                Digits(date, 5, time.Month, 2);
                date[7] = (byte)'-';
                Digits(date, 8, time.Day, 2);
                date[10] = (byte)' ';
                Digits(date, 11, time.Hour, 2);
                date[13] = (byte)':';
                Digits(date, 14, time.Minute, 2);
                date[16] = (byte)':';
                Digits(date, 17, time.Second, 2);
                date[19] = (byte)'.';
                _dateSecond = second;
                _dateUniversal = universal;
            }
            var span = output.GetSpan(24);
            _date.CopyTo(span);
            int fraction = (int)(time.Ticks % TimeSpan.TicksPerSecond / 1000);
            span[20] = (byte)('0' + fraction / 1000);
            span[21] = (byte)('0' + fraction / 100 % 10);
            span[22] = (byte)('0' + fraction / 10 % 10);
            span[23] = (byte)('0' + fraction % 10);
            output.Advance(24);
        }

        private void WriteLogger(string? name, LineBuffer output)
        {
            if (!ReferenceEquals(name, _loggerName))
            {
                _loggerBytes = s_utf8.GetBytes(name ?? string.Empty);   // one logger at a time is the usual case
                _loggerName = name;
            }
            output.Write(_loggerBytes);
        }

        private void WriteMessage(LogEventInfo logEvent, LineBuffer output)
        {
            var builder = _builder;
            builder.Clear();
            _message.Render(logEvent, builder);
            LineRenderer.Encode(builder, s_utf8, output, ref _chars);
        }

        private static void Digits(byte[] target, int offset, int value, int count)
        {
            for (int i = offset + count - 1; i >= offset; i--)
            {
                target[i] = (byte)('0' + value % 10);
                value /= 10;
            }
        }

        private readonly struct Part
        {
            public Part(Kind kind, byte[]? bytes)
            {
                Kind = kind;
                Bytes = bytes ?? Array.Empty<byte>();
            }

            public Kind Kind { get; }

            public byte[] Bytes { get; }
        }
    }
}
