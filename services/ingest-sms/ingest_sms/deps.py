"""The ingest service's dependencies, declared once: the signed form and the ingest flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from ingest_sms.inbound import SmsIngest
from ingest_sms.signature import signed_by_twilio
from recon.service.deps import SettingsDep, StateDep


async def signed_form(request: Request, settings: SettingsDep) -> FormData:
    """Twilio's form fields, once their signature checks out (403 otherwise)."""
    try:
        form = await request.form(max_files=0, max_fields=200)
    except Exception as exc:  # multipart / urlencoded parse errors of any kind
        raise HTTPException(400, "the body is not a readable form") from exc
    if not signed_by_twilio(settings, url=request.url, headers=dict(request.headers), form=form):
        raise HTTPException(403, "bad or missing X-Twilio-Signature")
    return form


def get_ingest(request: Request, state: StateDep) -> SmsIngest:
    """One flow (and so one unit-index cache) per running app."""
    ingest: SmsIngest | None = getattr(request.app.state, "ingest", None)
    if ingest is None or ingest.sessions is not state.sessions:
        ingest = request.app.state.ingest = SmsIngest(state.sessions, state.settings)
    return ingest


SignedForm = Annotated[FormData, Depends(signed_form)]
IngestDep = Annotated[SmsIngest, Depends(get_ingest)]
