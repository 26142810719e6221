"""Synthetic case makers (labels, watermarks, damage, post-processing) for tests, the demo and benchmarks."""
