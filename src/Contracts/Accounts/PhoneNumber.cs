namespace TgFleet.Contracts.Accounts;

/// <summary>
/// Phone numbers as the fleet accepts them (international format: <c>+</c>, country code and
/// number, 8 to 15 digits; spaces, dots, dashes and parentheses are ignored) and as it shows them
/// anywhere outside the account itself: masked, e.g. <c>+4477*****123</c>.
/// </summary>
public static class PhoneNumber
{
    /// <summary>Normalises <paramref name="input"/> to <c>+</c> and digits; false when it is not a phone number.</summary>
    public static bool TryNormalize(string? input, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(input))
        {
            return false;
        }

        var digits = new System.Text.StringBuilder(16);
        var text = input.Trim();
        if (!text.StartsWith('+'))
        {
            return false;
        }

        foreach (var c in text.AsSpan(1))
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                return false;
            }
        }

        if (digits.Length is < 8 or > 15 || digits[0] == '0')
        {
            return false;
        }

        normalized = "+" + digits;
        return true;
    }

    /// <summary>Masks all but the first four and the last three digits: <c>+447700900123</c> → <c>+4477*****123</c>.</summary>
    public static string Mask(string? phone)
    {
        if (string.IsNullOrEmpty(phone))
        {
            return string.Empty;
        }

        var digits = phone.Where(char.IsAsciiDigit).ToArray();
        if (digits.Length <= 7)
        {
            return "+" + new string('*', digits.Length);
        }

        return "+" + new string(digits, 0, 4) + new string('*', digits.Length - 7) + new string(digits, digits.Length - 3, 3);
    }
}
