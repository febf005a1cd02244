using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_a_phone_number_is_logged
{
    [TestCase("+447700900123", "+4477*****123")]
    [TestCase("447700900123", "+4477*****123")]
    [TestCase("+1 555 0100", "+1555*100")]
    [TestCase("+12345", "+*****")]
    public void Only_the_country_prefix_and_last_digits_show(string phone, string masked) =>
        Assert.That(PhoneNumber.Mask(phone), Is.EqualTo(masked));
}
