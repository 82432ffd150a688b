namespace DslConv.Mpi;

/// <summary>MPI cannot be used here: not installed, not Open MPI, or it failed to start. The message says what to do.</summary>
public sealed class MpiUnavailableException(string message) : Exception(message);
