"""Repair requests (报修): intake, address resolution, dispatch, SLA, visits, feedback and tips."""
