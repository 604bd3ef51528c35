"""The web board: server-rendered pages (the board, its unit drawer, needs-review, metrics),
their HTML fragments for live updates, and the static CSS/JS they load."""

from board_api.web.endpoints import router

__all__ = ["router"]
