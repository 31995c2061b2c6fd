import Testing

/// The integration suites share ports, event loops and CPU; they run one after another so
/// that their deadlines measure the server, not each other's load.
@Suite(.serialized) enum Integration {}
