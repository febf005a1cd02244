using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Worker.Sessions;

namespace TgFleet.Tests.Worker.Sessions;

[TestFixture, Category("Worker")]
public sealed class When_session_keys_rotate
{
    private static readonly string Key1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string Key2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly byte[] Session = Encoding.UTF8.GetBytes("td.binlog bytes");

    private static SessionCipher Cipher(string active, params (string Id, string Key)[] keys) =>
        new(Options.Create(new SessionOptions { ActiveKeyId = active, Keys = keys.ToDictionary(k => k.Id, k => k.Key) }));

    [Test]
    public void Old_blobs_stay_readable_and_new_writes_use_the_new_key()
    {
        var (oldKeyId, oldBlob) = Cipher("k1", ("k1", Key1)).Encrypt("acct", Session);

        var rotated = Cipher("k2", ("k1", Key1), ("k2", Key2));
        var (newKeyId, newBlob) = rotated.Encrypt("acct", Session);

        Assert.That(oldKeyId, Is.EqualTo("k1"));
        Assert.That(rotated.Decrypt("acct", oldKeyId, oldBlob), Is.EqualTo(Session));
        Assert.That(newKeyId, Is.EqualTo("k2"));
        Assert.That(rotated.Decrypt("acct", newKeyId, newBlob), Is.EqualTo(Session));
    }

    [Test]
    public void A_blob_whose_key_was_removed_fails_naming_the_key()
    {
        var (keyId, blob) = Cipher("k1", ("k1", Key1)).Encrypt("acct", Session);

        var error = Assert.Throws<SessionDecryptionException>(() => Cipher("k2", ("k2", Key2)).Decrypt("acct", keyId, blob));

        Assert.That(error!.Message, Does.Contain("'k1'").And.Not.Contain(Key1));
    }

    [Test]
    public void An_altered_blob_or_another_account_fails_authentication()
    {
        var cipher = Cipher("k1", ("k1", Key1));
        var (keyId, blob) = cipher.Encrypt("acct", Session);

        Assert.Throws<SessionDecryptionException>(() => cipher.Decrypt("other-acct", keyId, blob));
        blob[^1] ^= 0x01;
        Assert.Throws<SessionDecryptionException>(() => cipher.Decrypt("acct", keyId, blob));
    }

    [Test]
    public void Each_account_gets_its_own_stable_TDLib_database_key()
    {
        var cipher = Cipher("k1", ("k1", Key1), ("k2", Key2));
        var again = Cipher("k2", ("k1", Key1), ("k2", Key2));

        Assert.That(cipher.DatabaseKey("a", "k1"), Is.EqualTo(again.DatabaseKey("a", "k1")).And.Length.EqualTo(32));
        Assert.That(cipher.DatabaseKey("a", "k1"), Is.Not.EqualTo(cipher.DatabaseKey("b", "k1")));
        Assert.That(cipher.DatabaseKey("a", "k1"), Is.Not.EqualTo(cipher.DatabaseKey("a", "k2")));
    }

    [Test]
    public void Settings_with_a_missing_or_malformed_key_are_refused_without_echoing_it()
    {
        var options = new SessionOptions { ActiveKeyId = "k9", Keys = { ["k1"] = "c2hvcnQ=" } };

        var problems = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(r => r.ErrorMessage).ToList();

        Assert.That(problems, Has.Some.Contains("'k9' names no key"));
        Assert.That(problems, Has.Some.Contains("Sessions:Keys:k1 is not 32 bytes"));
        Assert.That(problems, Has.None.Contains("c2hvcnQ="));
    }

    [Test]
    public void A_missing_active_key_is_reported_together_with_malformed_keys()
    {
        var options = new SessionOptions { Keys = { ["k1"] = "c2hvcnQ=" } };
        var problems = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), problems, validateAllProperties: true);

        Assert.That(problems.Select(p => p.ErrorMessage), Has.Some.Contains("Sessions:ActiveKeyId is required")
            .And.Some.Contains("Sessions:Keys:k1 is not 32 bytes"));
    }
}
