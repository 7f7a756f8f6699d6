"""JSON API for positions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["positions"])
