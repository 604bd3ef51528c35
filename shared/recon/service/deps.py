"""FastAPI dependencies every service uses, declared once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from recon.service.state import ServiceState
from recon.settings import Settings


# async, though they await nothing: FastAPI runs a plain `def` dependency in its thread pool,
# a thread hop on every request.
async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.recon
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commits when the handler returns, rolls back if it raises."""
    async with state.sessions() as session, session.begin():
        yield session


# Committed before the answer is sent (scope "function"): a client told 200 reads its change at
# once, and a failed commit is an error answer, not a 200 for a change that was lost.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
