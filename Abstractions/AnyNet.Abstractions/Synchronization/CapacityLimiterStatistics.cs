namespace AnyNet;

/// <summary>A snapshot of a <see cref="CapacityLimiter"/>.</summary>
/// <param name="BorrowedTokens">How many tokens are borrowed.</param>
/// <param name="TotalTokens">How many tokens the limiter has.</param>
/// <param name="Borrowers">Who holds the borrowed tokens.</param>
/// <param name="WaitingCount">How many borrowers wait for a token.</param>
public readonly record struct CapacityLimiterStatistics(int BorrowedTokens, int TotalTokens, IReadOnlyList<object> Borrowers, int WaitingCount);
