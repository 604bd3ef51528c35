"""Store metrics computed from the unit event log: the one home of every metric definition."""

from recon.metrics.compute import MAX_WINDOW_DAYS, compute_store_metrics
from recon.metrics.schemas import StoreMetrics

__all__ = ["MAX_WINDOW_DAYS", "StoreMetrics", "compute_store_metrics"]
