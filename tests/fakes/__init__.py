"""Fakes of outside services for tests and benchmarks (real sockets, no mocks)."""
