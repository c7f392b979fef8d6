namespace AnyNet;

/// <summary>What the text streams do with bytes that are not valid in their encoding (or strings that cannot be encoded).</summary>
public enum InvalidTextHandling
{
    /// <summary>
    /// Throw: receiving invalid bytes throws <see cref="InvalidDataException"/> naming the bytes and their offset (and
    /// breaks the receiving side); sending a string that cannot be encoded (a lone surrogate) throws
    /// <see cref="System.Text.EncoderFallbackException"/>. The default, like Python's <c>errors="strict"</c> in AnyIO.
    /// </summary>
    Throw,

    /// <summary>Replace each invalid sequence with U+FFFD (the replacement character) and go on.</summary>
    Replace,
}
