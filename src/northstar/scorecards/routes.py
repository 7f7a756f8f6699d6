"""JSON API for scorecards."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["scorecards"])
