"""Refund claims (售后退款): the state table, the process rules, screening, SLA timers and buyer credit."""
