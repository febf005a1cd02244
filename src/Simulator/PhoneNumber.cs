namespace TgFleet.Simulator;

/// <summary>Phone numbers as the simulator keys and logs them.</summary>
public static class PhoneNumber
{
    /// <summary>Digits only, no '+': the form every lookup uses.</summary>
    public static string Normalize(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        return string.Create(phone.Length, phone, static (span, source) =>
        {
            var j = 0;
            foreach (var c in source)
            {
                if (char.IsAsciiDigit(c))
                {
                    span[j++] = c;
                }
            }

            span[j..].Fill(' ');
        }).TrimEnd();
    }

    /// <summary>The only form a phone number may take in a log line: +4477*****123.</summary>
    public static string Mask(string phone)
    {
        var digits = Normalize(phone);
        if (digits.Length <= 7)
        {
            return "+" + new string('*', digits.Length);
        }

        return "+" + digits[..4] + new string('*', digits.Length - 7) + digits[^3..];
    }
}
