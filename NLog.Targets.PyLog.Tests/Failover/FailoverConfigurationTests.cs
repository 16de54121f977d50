using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using NLog.Config;
using NLog.Targets.PyLog.Tests.Support;

namespace NLog.Targets.PyLog.Tests.Failover
{
    /// <summary>Configuration: nesting in XML, options, validation.</summary>
    [TestClass]
    public sealed class FailoverConfigurationTests
    {
        private static string Config(string group) => $@"<nlog xmlns='http://www.nlog-project.org/schemas/NLog.xsd'
      xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' throwConfigExceptions='true'>
  <targets>{group}</targets>
  <rules><logger name='*' minlevel='Trace' writeTo='fo' /></rules>
</nlog>";

        private static string AllMessages(Exception ex)
        {
            var messages = new System.Collections.Generic.List<string>();
            for (var e = ex; e != null; e = e.InnerException)
                messages.Add(e.Message);
            return string.Join(" | ", messages);
        }

        [TestMethod]
        public void Children_are_nested_targets_in_priority_order()
        {
            using var factory = TestLogFactory.FromXml(Config(@"
    <target xsi:type='FailoverGroup' name='fo' retryPrimaryAfterSeconds='7'>
      <target xsi:type='FakeNetwork' name='net' />
      <target xsi:type='FakeNetwork' name='net-explicit' retryCount='5' />
      <target xsi:type='FlakyTarget' name='backup' />
    </target>"));

            var group = factory.Configuration!.FindTargetByName<FailoverTarget>("fo");
            Assert.IsNotNull(group);
            CollectionAssert.AreEqual(new[] { "net", "net-explicit", "backup" }, group.Targets.Select(t => t.Name).ToList());
            Assert.AreEqual(7, group.RetryPrimaryAfterSeconds);
            Assert.AreEqual(-1, ((FakeNetworkTarget)group.Targets[0]).RetryCount, "the group never rewrites a child's RetryCount");
            Assert.AreEqual(5, ((FakeNetworkTarget)group.Targets[1]).RetryCount, "an explicit RetryCount is kept");
            Assert.AreSame(group.Targets[0], group.CurrentTarget);
        }

        [TestMethod]
        public void Group_without_children_is_a_configuration_error_naming_Targets()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(Config(@"
    <target xsi:type='FailoverGroup' name='fo' />")));
            StringAssert.Contains(AllMessages(ex), "Targets is empty");
        }

        [TestMethod]
        public void Negative_RetryPrimaryAfterSeconds_is_a_configuration_error_naming_it()
        {
            var ex = Assert.ThrowsExactly<NLogConfigurationException>(() => TestLogFactory.FromXml(Config(@"
    <target xsi:type='FailoverGroup' name='fo' retryPrimaryAfterSeconds='-1'>
      <target xsi:type='FlakyTarget' name='a' />
    </target>")));
            StringAssert.Contains(AllMessages(ex), "RetryPrimaryAfterSeconds must be 0 or more (was '-1')");
        }

        [TestMethod]
        public void Programmatic_group_without_children_fails_to_initialize()
        {
            var factory = new LogFactory { ThrowConfigExceptions = true };
            var config = new LoggingConfiguration(factory);
            config.AddRuleForAllLevels(new FailoverTarget { Name = "fo-empty" });
            var ex = Assert.Throws<NLogConfigurationException>(() => factory.Configuration = config);
            StringAssert.Contains(AllMessages(ex), "FailoverGroup 'fo-empty': Targets is empty");
        }
    }
}
