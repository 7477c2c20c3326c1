"""Reads of the kept cross-checks (比对核实), always through the user's scope: a village user
sees his village's rows; rows of roster lines matched to nobody in a township-wide upload are
the township's."""

from dataclasses import dataclass

from peewee import JOIN, fn

from ..models.crosscheck import Crosscheck, CrosscheckRow
from ..models.places import Village
from ..rules.crosscheck import CATEGORIES


@dataclass
class Listed:
    check: Crosscheck
    rows: int
    open: int


def listing(scope, limit=100):
    """The comparisons the user may open, newest first, with his rows and those still open."""
    checks = list(scope.query(Crosscheck).order_by(Crosscheck.id.desc()).limit(limit))
    counts = {}
    if checks:
        rows = (
            scope.query(
                CrosscheckRow,
                CrosscheckRow.crosscheck,
                CrosscheckRow.status,
                fn.COUNT(CrosscheckRow.id),
            )
            .where(CrosscheckRow.crosscheck.in_([c.id for c in checks]))
            .group_by(CrosscheckRow.crosscheck, CrosscheckRow.status)
            .tuples()
        )
        for check_id, status, n in rows:
            total, still = counts.get(check_id, (0, 0))
            counts[check_id] = (total + n, still + (n if status == "open" else 0))
    return [Listed(c, *counts.get(c.id, (0, 0))) for c in checks]


def _rows(scope, check):
    return scope.query(CrosscheckRow).where(CrosscheckRow.crosscheck == check)


def summary(scope, check):
    """[(village name or "不在登记册中（乡镇）", {category: (rows, open)})] per village."""
    rows = (
        _rows(scope, check)
        .select(
            Village.name,
            CrosscheckRow.category,
            CrosscheckRow.status,
            fn.COUNT(CrosscheckRow.id),
        )
        .join(Village, JOIN.LEFT_OUTER, on=CrosscheckRow.village == Village.id)
        .group_by(Village.id, CrosscheckRow.category, CrosscheckRow.status)
        .order_by(Village.sort_order.is_null(), Village.sort_order, Village.id)
        .tuples()
    )
    out = {}
    for village, category, status, n in rows:
        cats = out.setdefault(village or "乡镇（未对应到村）", {})
        total, still = cats.get(category, (0, 0))
        cats[category] = (total + n, still + (n if status == "open" else 0))
    return list(out.items())


def rows(scope, check, category="", status=""):
    """The findings the user may see, by village, category, then roster line."""
    query = (
        _rows(scope, check)
        .select(CrosscheckRow, Village)
        .join(Village, JOIN.LEFT_OUTER, on=CrosscheckRow.village == Village.id)
        .order_by(
            Village.sort_order.is_null(),
            Village.sort_order,
            Village.id,
            CrosscheckRow.category,
            CrosscheckRow.line_no,
            CrosscheckRow.id,
        )
    )
    if category in CATEGORIES:
        query = query.where(CrosscheckRow.category == category)
    if status in ("open", "applied", "dismissed"):
        query = query.where(CrosscheckRow.status == status)
    return query
