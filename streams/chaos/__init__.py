"""Chaos harness: a workload with known answers, fed through the real pipeline while the
aggregator and the broker are killed at random, then checked against a recomputation."""
