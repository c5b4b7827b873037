"""Translation between httpx objects and the sandbox's ``Req``/``Resp`` records.

Includes a small multipart/form-data reader for ``POST /file`` (§10), so the sandbox needs
no dependency beyond httpx.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from sandbox.util import ApiError, Req, Resp, bad_request

#: Custify's exact answer to a missing or wrong API key (§1.2).
UNAUTHORIZED = {"error": "Access forbidden, invalid API-KEY was used", "statusCode": 401}
_BOUNDARY_RE = re.compile(r'boundary="?([^";]+)"?', re.I)
_DISPOSITION_RE = re.compile(r'(\w+)="([^"]*)"')


def parse_body(request: httpx.Request, req: Req) -> None:
    """Fill ``req.body`` (JSON) or ``req.form``/``req.files`` (multipart); 400 on bad JSON."""
    content = request.content
    ctype = request.headers.get("content-type", "")
    if ctype.lower().startswith("multipart/form-data"):
        req.form, req.files = parse_multipart(content, ctype)
        return
    if not content or not content.strip():
        return
    try:
        req.body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("body: invalid JSON") from None


def parse_multipart(
    content: bytes, ctype: str
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """Text fields and files of a multipart body (RFC 7578, the parts httpx writes)."""
    m = _BOUNDARY_RE.search(ctype)
    if not m:
        raise bad_request("multipart body without a boundary")
    delim = b"--" + m.group(1).encode()
    form: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for part in content.split(delim)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        disp = dict(_DISPOSITION_RE.findall(headers.get("content-disposition", "")))
        name = disp.get("name")
        if not name:
            continue
        if "filename" in disp:
            ctype_part = headers.get("content-type", "application/octet-stream")
            files[name] = (disp["filename"], data, ctype_part)
        else:
            form[name] = data.decode("utf-8", "replace")
    return form, files


def journal_body(req: Req) -> Any:
    """What the journal keeps of a body: the JSON, or multipart names with text values."""
    if req.files or req.form:
        out: dict[str, Any] = dict(req.form)
        for name, (filename, data, ctype) in req.files.items():
            out[name] = {"filename": filename, "size": len(data), "content_type": ctype}
        return out
    return req.body


def error_body(err: ApiError) -> dict:
    return {"error": err.message, "statusCode": err.status}


def to_httpx(resp: Resp, request: httpx.Request, truncate: bool = False) -> httpx.Response:
    """Serialise a ``Resp``; ``truncate`` cuts the JSON short (malformed-body fault)."""
    headers = dict(resp.headers)
    if resp.body is None:
        content = b""
    else:
        content = json.dumps(resp.body, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        if truncate:
            content = content[: max(1, len(content) // 2)]
    return httpx.Response(resp.status, headers=headers, content=content, request=request)
