using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Commands;

namespace TgFleet.Tests.Worker.Commands;

[TestFixture, Category("Worker")]
public sealed class When_a_command_is_invalid
{
    private static readonly Guid Id = Guid.NewGuid();

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case(new Authenticate(Guid.Empty, "a", "+447700900123"), "CommandId", "COMMAND_ID_MISSING");
        yield return Case(new Authenticate(Id, "", "+447700900123"), "AccountId", "ACCOUNT_ID_MISSING");
        yield return Case(new Authenticate(Id, null!, "+447700900123"), "AccountId", "ACCOUNT_ID_MISSING");
        yield return Case(new Authenticate(Id, new string('x', 129), "+447700900123"), "AccountId", "ACCOUNT_ID_INVALID");
        yield return Case(new Authenticate(Id, "a", "447700900123"), "Phone", "PHONE_MALFORMED");
        yield return Case(new Authenticate(Id, "a", "+44 77x0"), "Phone", "PHONE_MALFORMED");
        yield return Case(new Authenticate(Id, "a", null!), "Phone", "PHONE_MALFORMED");
        yield return Case(new SubmitAuthenticationCode(Id, "a", ""), "Code", "CODE_MISSING");
        yield return Case(new SubmitAuthenticationPassword(Id, "a", ""), "Password", "PASSWORD_MISSING");
        yield return Case(new SendMessage(Id, "a", null!, "hi"), "To", "RECIPIENT_MISSING");
        yield return Case(new SendMessage(Id, "a", Recipient.Username("a b"), "hi"), "To.Value", "USERNAME_INVALID");
        yield return Case(new SendMessage(Id, "a", Recipient.Phone("12"), "hi"), "To.Value", "PHONE_MALFORMED");
        yield return Case(new SendMessage(Id, "a", new Recipient(RecipientKind.UserId, "-5"), "hi"), "To.Value", "RECIPIENT_ID_INVALID");
        yield return Case(new SendMessage(Id, "a", Recipient.Username("alice"), "  "), "Text", "TEXT_EMPTY");
        yield return Case(new SendMessage(Id, "a", Recipient.Username("alice"), new string('x', 4097)), "Text", "TEXT_TOO_LONG");
        yield return Case(new SendMessage(Id, "a", Recipient.Username("alice"), "hi") { Entities = [new TextEntity(1, 5, "bold")] }, "Entities", "ENTITY_INVALID");
        yield return Case(new SetAccountProxy(Id, "a", new ProxySettings(ProxyKind.Socks5, "127.0.0.1", 0)), "Proxy.Port", "PROXY_PORT_INVALID");
        yield return Case(new SetAccountProxy(Id, "a", new ProxySettings(ProxyKind.MtProto, "127.0.0.1", 443)), "Proxy.Secret", "PROXY_SECRET_INVALID");
    }

    private static TestCaseData Case(object command, string field, string reason) =>
        new TestCaseData(command, field, reason).SetArgDisplayNames(command.GetType().Name, reason);

    [TestCaseSource(nameof(Cases))]
    public void It_is_rejected_naming_the_field_and_reason(object command, string field, string reason)
    {
        var problem = CommandValidator.Validate(command);

        Assert.That(problem, Is.Not.Null);
        Assert.That(problem!.Field, Is.EqualTo(field));
        Assert.That(problem.Reason, Is.EqualTo(reason));
    }

    [Test]
    public void A_valid_command_passes()
    {
        Assert.That(CommandValidator.Validate(new SendMessage(Id, "a", Recipient.Username("@alice_1"), new string('x', 4096))), Is.Null);
        Assert.That(CommandValidator.Validate(new Authenticate(Id, "a", "+44 (7700) 900-123")), Is.Null);
        Assert.That(CommandValidator.Validate(new SendMessage(Id, "a", Recipient.Chat(-100123), "hi")), Is.Null);
    }

    [Test]
    public void A_rejected_password_is_never_echoed()
    {
        var problem = CommandValidator.Validate(new SubmitAuthenticationPassword(Id, "a", new string('s', 300)));

        Assert.That(problem!.Detail, Does.Not.Contain("sss"));
    }

    [TestCase("+447700900123", "+4477*****123")]
    [TestCase("+1 (202) 555-0143", "+1202****143")]
    public void Phones_are_masked_outside_the_account(string phone, string masked) =>
        Assert.That(PhoneNumber.Mask(phone), Is.EqualTo(masked));
}
