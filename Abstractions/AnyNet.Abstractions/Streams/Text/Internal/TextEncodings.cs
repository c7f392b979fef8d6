using System.Text;

namespace AnyNet.Internal;

/// <summary>Makes the encoding the text streams use: the caller's (or UTF-8 without BOM) with the fallbacks they ask for.</summary>
internal static class TextEncodings
{
    // U+FFFD, the Unicode replacement character (Unicode 15, section 5.22), not the '?' of Encoding's defaults.
    private static readonly Encoding s_utf8Strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Encoding WithFallbacks(Encoding? encoding, InvalidTextHandling invalidText)
    {
        if (!Enum.IsDefined(invalidText))
        {
            throw new ArgumentOutOfRangeException(nameof(invalidText), invalidText, "Unknown invalid-text handling.");
        }

        if (encoding is null && invalidText == InvalidTextHandling.Throw)
        {
            return s_utf8Strict;
        }

        var clone = (Encoding)(encoding ?? s_utf8Strict).Clone();
        clone.DecoderFallback = invalidText == InvalidTextHandling.Throw ? DecoderFallback.ExceptionFallback : new DecoderReplacementFallback("\uFFFD");
        clone.EncoderFallback = invalidText == InvalidTextHandling.Throw ? EncoderFallback.ExceptionFallback : new EncoderReplacementFallback("\uFFFD");
        return clone;
    }
}
