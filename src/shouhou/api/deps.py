"""Dependencies: the runtime, the signed-in principal, uploads read under limits, pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, UploadFile

from shouhou.accounts.roles import Principal
from shouhou.accounts.service import authenticate
from shouhou.claims.catalog import Upload
from shouhou.errors import FileTooLarge, Unauthenticated
from shouhou.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(request: Request, rt: RuntimeDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return authenticate(rt, token.strip())


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Paging:
    def __init__(self, offset: int = Query(0, ge=0), limit: int = Query(20, ge=1, le=100)) -> None:
        self.offset = offset
        self.limit = limit


PagingDep = Annotated[Paging, Depends(Paging)]


def read_upload(file: UploadFile, max_bytes: int) -> Upload:
    """Read an upload (already spooled by the server) without taking more than the limit into memory."""
    data = file.file.read(max_bytes + 1)
    name = file.filename or "upload"
    if len(data) > max_bytes:
        raise FileTooLarge(f"{name}: over the {max_bytes}-byte limit")
    return Upload(filename=name, data=data)
