"""`make text FROM=… BODY="…"`: text the local board without a phone.

Posts the form Twilio would post to ingest-sms's webhook, signed the way Twilio signs it
(TWILIO_AUTH_TOKEN over PUBLIC_BASE_URL + path), and prints the reply.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from recon.phones import InvalidPhone, to_e164

SMS_PATH = "/webhooks/twilio/sms"


def sign(*, auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio sends for `params` posted to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def text_form(
    *, from_number: str, to_number: str, body: str, media_urls: tuple[str, ...] = ()
) -> dict[str, str]:
    """The fields of an inbound SMS as Twilio posts them."""
    form = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": from_number,
        "To": to_number,
        "Body": body,
        "NumMedia": str(len(media_urls)),
    }
    for index, url in enumerate(media_urls):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = "image/jpeg"
    return form


def reply_of(twiml: str) -> str | None:
    message = ElementTree.fromstring(twiml).find("Message")
    return message.text if message is not None else None


def _only_store_number(board_url: str, admin_token: str) -> str:
    """With no --to: the SMS number of the one store on the local board."""
    response = httpx.get(
        f"{board_url}/api/v1/stores",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    response.raise_for_status()
    payload = response.json()
    stores = payload["items"] if isinstance(payload, dict) else payload
    if len(stores) != 1:
        numbers = ", ".join(f"{s['slug']} {s['sms_number']}" for s in stores) or "none yet"
        sys.exit(f"say which store to text with TO=… (stores: {numbers})")
    return str(stores[0]["sms_number"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="from_number", required=True, help="the sender's phone")
    parser.add_argument("--body", required=True, help="what the text says")
    parser.add_argument("--to", help="the store's SMS number (default: the only store's)")
    parser.add_argument("--media", action="append", default=[], help="an MMS photo URL")
    parser.add_argument(
        "--url",
        default=os.environ.get("INGEST_URL") or _running("ingest_url", "http://127.0.0.1:8001"),
        help="where ingest-sms listens",
    )
    args = parser.parse_args()
    public_base = (
        os.environ.get("PUBLIC_BASE_URL") or _running("public_base_url", args.url)
    ).rstrip("/")
    auth_token = os.environ.get("TWILIO_AUTH_TOKEN", "")
    try:
        from_number = to_e164(args.from_number)
        to_number = to_e164(args.to) if args.to else None
    except InvalidPhone as exc:
        sys.exit(str(exc))
    if to_number is None:
        admin_token = os.environ.get("RECON_ADMIN_TOKEN") or _local_admin_token()
        board_url = (
            os.environ.get("BOARD_BASE_URL") or _running("board_url", "http://127.0.0.1:8000")
        ).rstrip("/")
        to_number = _only_store_number(board_url, admin_token)
    form = text_form(
        from_number=from_number, to_number=to_number, body=args.body, media_urls=tuple(args.media)
    )
    signature = sign(auth_token=auth_token, url=public_base + SMS_PATH, params=form)
    response = httpx.post(
        args.url.rstrip("/") + SMS_PATH,
        data=form,
        headers={"X-Twilio-Signature": signature},
        timeout=30,
    )
    if response.status_code != 200:
        sys.exit(f"ingest-sms answered {response.status_code}: {response.text}")
    print(reply_of(response.text) or "(no reply)")


def _running(key: str, default: str) -> str:
    """Where `make run` put the services (it writes .local/running.json while it runs)."""
    path = Path.cwd() / ".local" / "running.json"
    if not path.exists():
        return default
    return str(json.loads(path.read_text()).get(key) or default)


def _local_admin_token() -> str:
    path = Path.cwd() / ".local" / "admin-token"
    return path.read_text().strip() if path.exists() else ""


if __name__ == "__main__":
    main()
