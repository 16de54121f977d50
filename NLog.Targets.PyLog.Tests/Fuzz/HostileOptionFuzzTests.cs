using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security;
using System.Text;
using System.Threading.Tasks;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Layouts;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Fuzz
{
    /// <summary>
    /// Every option of every target, wrapper and layout of the package set to hostile values:
    /// the configuration loads, or fails with an <see cref="NLogConfigurationException"/> that
    /// names the option; never another exception type, never a hang.
    /// </summary>
    [TestClass]
    public class HostileOptionFuzzTests
    {
        // XML 1.0 cannot carry most control characters even as references; tab, LF and CR it can.
        private static readonly string[] s_hostileValues =
        {
            "",
            "   ",
            "-1",
            "0",
            "2147483647",
            "-2147483648",
            "99999999999999999999999",
            "not-a-number",
            "NoSuchEnumValue",
            "\t\n\r",
            "../../../../../../etc/passwd",
            "${nosuchlayoutrenderer}",
            "${environment:PYLOG_FUZZ_UNSET_VARIABLE}",
            new string('x', 5000),
            NotACertificate,
        };

        /// <summary>An existing file that is not what the option expects (a certificate, a folder...).</summary>
        private const string NotACertificate = "existing-text-file.txt";

        private static readonly string Folder = Path.Combine(Path.GetTempPath(), "pylog-fuzz-" + Guid.NewGuid().ToString("N"));

        // Hostile values of a path option are taken relative to a folder nested deeper than the
        // traversal climbs, so no case can write outside the test's own temp folder (the tests
        // may run as root: "../../../../../../etc/passwd" from the working directory is real).
        private static readonly string Sandbox = Path.Combine(Folder, "a", "b", "c", "d", "e", "f", "g", "h");

        [ClassCleanup]
        public static void DeleteFolder()
        {
            if (Directory.Exists(Folder))
                Directory.Delete(Folder, recursive: true);
        }

        public static IEnumerable<object[]> Subjects()
        {
            yield return new object[] { "ArchiveFile" };
            yield return new object[] { "BackpressureWrapper" };
            yield return new object[] { "FailoverGroup" };
            yield return new object[] { "Kafka" };
            yield return new object[] { "Redis" };
            yield return new object[] { "AliyunSls" };
            yield return new object[] { "PyLogJson" };
            yield return new object[] { "Plumelog" };
        }

        [TestMethod]
        [DynamicData(nameof(Subjects))]
        public void Hostile_option_values_load_or_fail_with_a_configuration_error_naming_the_option(string subject)
        {
            Directory.CreateDirectory(Sandbox);
            File.WriteAllText(Path.Combine(Sandbox, NotACertificate), "plain text, not a certificate");
            Type type = TypeOf(subject);
            var failures = new List<string>();
            int cases = 0;
            foreach (PropertyInfo property in Options(type))
            {
                foreach (string value in s_hostileValues)
                {
                    cases++;
                    string xml = Configuration(subject, property.Name, value);
                    string? failure = LoadOnce(xml, property.Name, logEvent: !IsNetworkTarget(subject));
                    if (failure != null)
                    {
                        failures.Add($"{subject}.{property.Name}='{Shorten(value)}': {failure}");
                    }
                }
            }

            Assert.IsTrue(cases >= s_hostileValues.Length, subject + ": no option found to fuzz");
            if (failures.Count > 0)
            {
                Assert.Fail(failures.Count + " of " + cases + " cases failed:\n" + string.Join("\n", failures));
            }
        }

        // A network target is only loaded and closed: an event queued for a server that is not
        // there would make every close wait for CloseTimeoutMilliseconds.
        private static bool IsNetworkTarget(string subject) => subject == "Kafka" || subject == "Redis" || subject == "AliyunSls";

        /// <summary>Loads, logs one event (unless told not to) and shuts down; null when that went as the contract says.</summary>
        private static string? LoadOnce(string xml, string propertyName, bool logEvent)
        {
            Task<string?> run = Task.Run(() =>
            {
                LogFactory? factory = null;
                try
                {
                    factory = TestLogFactory.FromXml(xml);
                    if (logEvent)
                        factory.GetLogger("fuzz").Info("fuzz {Value}", 1);
                    return (string?)null;
                }
                catch (NLogConfigurationException ex)
                {
                    string text = Messages(ex);
                    return text.Contains(propertyName, StringComparison.OrdinalIgnoreCase) ? null : "configuration error without the option's name: " + Shorten(text, 400);
                }
                catch (Exception ex)
                {
                    return ex.GetType().Name + ": " + Shorten(Messages(ex), 400);
                }
                finally
                {
                    try
                    {
                        factory?.Shutdown();
                    }
                    catch (Exception ex)
                    {
                        // Reported through the task's result below only when loading went fine.
                        System.Diagnostics.Trace.WriteLine(ex);
                    }
                }
            });

            // Not a speed bound: a load that has not returned after a minute hangs.
            if (!run.Wait(TimeSpan.FromSeconds(60)))
            {
                return "hang (no return within 60 s)";
            }

            return run.Result;
        }

        private static IEnumerable<PropertyInfo> Options(Type type)
        {
            Assembly package = typeof(PyLogJsonLayout).Assembly;
            return type.GetProperties(BindingFlags.Instance | BindingFlags.Public)
                .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.DeclaringType!.Assembly == package)
                .Where(p => p.Name != "Name" && p.Name != "WrappedTarget")
                .Where(p => IsSettableFromXml(p.PropertyType))
                .OrderBy(p => p.Name, StringComparer.Ordinal);
        }

        private static bool IsSettableFromXml(Type type)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(Layout) || type == typeof(LogLevel)
                || type == typeof(Encoding) || type == typeof(ISet<string>) || typeof(Layout).IsAssignableFrom(type);
        }

        private static Type TypeOf(string subject) => subject switch
        {
            "ArchiveFile" => typeof(ArchiveFileTarget),
            "BackpressureWrapper" => typeof(BackpressureTargetWrapper),
            "FailoverGroup" => typeof(FailoverTarget),
            "Kafka" => typeof(KafkaTarget),
            "Redis" => typeof(RedisTarget),
            "AliyunSls" => typeof(SlsTarget),
            "PyLogJson" => typeof(PyLogJsonLayout),
            "Plumelog" => typeof(PlumelogLayout),
            _ => throw new ArgumentOutOfRangeException(nameof(subject)),
        };

        /// <summary>A valid configuration of <paramref name="subject"/> with one option overridden.</summary>
        private static string Configuration(string subject, string option, string value)
        {
            var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string inner = string.Empty;
            string target;
            switch (subject)
            {
                case "ArchiveFile":
                    attributes["fileName"] = Path.Combine(Folder, "a.log");
                    attributes["archiveFileName"] = Path.Combine(Folder, "a-%d{yyyy-MM-dd}-%i.log");
                    attributes["archiveAboveSize"] = "1000000";
                    target = "ArchiveFile";
                    break;
                case "BackpressureWrapper":
                case "FailoverGroup":
                    inner = "<target type='Null' name='n1' /><target type='Null' name='n2' />";
                    if (subject == "BackpressureWrapper")
                        inner = "<target type='Null' name='n1' />";
                    target = subject;
                    break;
                case "Kafka":
                    attributes["bootstrapServers"] = "127.0.0.1:" + LoopbackPort.Closed();
                    attributes["topic"] = "t";
                    attributes["closeTimeoutMilliseconds"] = "500";
                    target = "Kafka";
                    break;
                case "Redis":
                    attributes["host"] = "127.0.0.1";
                    attributes["port"] = LoopbackPort.Closed().ToString(System.Globalization.CultureInfo.InvariantCulture);
                    attributes["closeTimeoutMilliseconds"] = "500";
                    target = "Redis";
                    break;
                case "AliyunSls":
                    attributes["endpoint"] = "http://127.0.0.1:" + LoopbackPort.Closed();
                    attributes["project"] = "p";
                    attributes["logstore"] = "s";
                    attributes["accessKeyId"] = "id";
                    attributes["accessKeySecret"] = "secret";
                    attributes["compression"] = "deflate";
                    attributes["closeTimeoutMilliseconds"] = "500";
                    target = "AliyunSls";
                    break;
                default:
                    // A layout: set on a Memory target's layout element.
                    string layoutAttributes = $"{Attribute(option, value)}";
                    return Nlog($"<target type='Memory' name='subject'><layout type='{subject}' {layoutAttributes} /></target>");
            }

            attributes[option] = IsPath(option) ? Sandboxed(value) : value;
            string text = string.Join(" ", attributes.Select(a => Attribute(a.Key, a.Value)));
            return Nlog($"<target type='{target}' name='subject' {text}>{inner}</target>");
        }

        private static bool IsPath(string option) =>
            option.EndsWith("FileName", StringComparison.Ordinal) || option.EndsWith("File", StringComparison.Ordinal) || option.EndsWith("Directory", StringComparison.Ordinal);

        private static string Sandboxed(string value) => Sandbox + "/" + value;

        private static string Attribute(string name, string value) => name + "=\"" + SecurityElement.Escape(value).Replace("\t", "&#x9;").Replace("\n", "&#xA;").Replace("\r", "&#xD;") + "\"";

        private static string Nlog(string target) =>
            "<nlog throwConfigExceptions='true'><targets>" + target + "</targets><rules><logger name='*' minlevel='Trace' writeTo='subject' /></rules></nlog>";

        private static string Messages(Exception ex)
        {
            var text = new StringBuilder();
            for (Exception? e = ex; e != null; e = e.InnerException)
                text.Append(e.GetType().Name).Append(": ").Append(e.Message).Append(" | ");
            return text.ToString();
        }

        private static string Shorten(string text, int max = 40) => text.Length <= max ? text : text.Substring(0, max) + "…";

    }
}
