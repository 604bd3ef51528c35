"""The ingest service's dependencies, declared once: the signed form and the ingest flow.

Both are `async def` and read the app's state directly: a plain `def` dependency (such as the
shared StateDep) costs a trip through the thread pool on every text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from starlette.datastructures import FormData

from ingest_sms.inbound import SmsIngest
from ingest_sms.signature import signed_by_twilio
from recon.service.state import ServiceState


async def signed_form(request: Request) -> FormData:
    """Twilio's form fields, once their signature checks out (403 otherwise)."""
    settings = _state(request.app).settings
    try:
        form = await request.form(max_files=0, max_fields=200)
    except Exception as exc:  # multipart / urlencoded parse errors of any kind
        raise HTTPException(400, "the body is not a readable form") from exc
    if not signed_by_twilio(settings, url=request.url, headers=dict(request.headers), form=form):
        raise HTTPException(403, "bad or missing X-Twilio-Signature")
    return form


async def get_ingest(request: Request) -> SmsIngest:
    return ingest_of(request.app)


def ingest_of(app: FastAPI) -> SmsIngest:
    """One flow (and so one unit-index cache and one admission limit) per running app."""
    state = _state(app)
    ingest: SmsIngest | None = getattr(app.state, "ingest", None)
    if ingest is None or ingest.sessions is not state.sessions:
        ingest = app.state.ingest = SmsIngest(state.sessions, state.settings)
    return ingest


def _state(app: FastAPI) -> ServiceState:
    state: ServiceState = app.state.recon
    return state


SignedForm = Annotated[FormData, Depends(signed_form)]
IngestDep = Annotated[SmsIngest, Depends(get_ingest)]
