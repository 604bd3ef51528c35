"""The metrics page's data: the store metrics as JSON and as server-rendered SVG charts."""

from board_api.metrics.endpoints import router

__all__ = ["router"]
