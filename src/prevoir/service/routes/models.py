"""The model registry: list and show versions (read), promote and roll back (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from prevoir.domain.records import AliasMove
from prevoir.service.auth import Admin, Reader
from prevoir.service.routes import API_PREFIX
from prevoir.service.schemas import (
    AliasMovePublic,
    ModelVersionPublic,
    PromoteIn,
    TrainingRunPublic,
)
from prevoir.service.state import ServiceState, get_state
from prevoir.workflows.models import (
    list_versions,
    promote_version,
    rollback_champion,
    show_version,
)

router = APIRouter(prefix=API_PREFIX, tags=["models"])

State = Annotated[ServiceState, Depends(get_state)]
VersionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/models")
def models(
    _caller: Reader, state: State, forecaster: str | None = None
) -> list[ModelVersionPublic]:
    """Every model version, oldest first, with the aliases pointing at it (any profile)."""
    versions = list_versions(state.project, forecaster=forecaster)
    return [ModelVersionPublic.model_validate(version) for version in versions]


@router.get("/models/{version_id}", responses={404: {"description": "no such version"}})
def model(_caller: Reader, state: State, version_id: VersionId) -> ModelVersionPublic:
    """One version with its aliases and the run that trained it."""
    detail = show_version(state.project, version_id)
    public = ModelVersionPublic.model_validate(detail.version)
    if detail.trained_by is not None:
        public.run = TrainingRunPublic.model_validate(detail.trained_by)
    return public


@router.post(
    "/models/{version_id}/promote",
    responses={404: {"description": "no such version"}},
)
def promote(
    caller: Admin, state: State, version_id: VersionId, body: PromoteIn | None = None
) -> AliasMovePublic:
    """Make a version the champion of its forecaster in this profile (and in MLflow)."""
    reason = (body.reason if body else "") or f"promoted through the API by {caller.name}"
    return _public(promote_version(state.project, version_id, reason=reason))


@router.post(
    "/models/{forecaster}/rollback",
    responses={
        404: {"description": "no such forecaster, or it has no champion"},
        409: {"description": "no earlier champion to go back to"},
    },
)
def rollback(
    _caller: Admin, state: State, forecaster: Annotated[str, Path(max_length=200)]
) -> AliasMovePublic:
    """Give a forecaster its previous champion back."""
    return _public(rollback_champion(state.project, forecaster))


def _public(move: AliasMove) -> AliasMovePublic:
    return AliasMovePublic(forecaster=move.forecaster, alias=move.alias, old=move.old, new=move.new)
