"""The directions tree (DGA > direction > service): list, create, rename, move, delete.

A direction may not be moved under itself or one of its descendants (no cycles), and is
deleted only when it is empty: no sub-direction, no member of staff, no offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral import audit
from referral.errors import NotFound
from referral.messages import N_, RuleBroken
from referral.models import Direction, Offer, User

MAX_CODE = 40
MAX_NAME = 200


@dataclass
class TreeNode:
    """A direction with its children and how many active staff belong to it directly."""

    direction: Direction
    depth: int
    staff: int = 0
    children: list[TreeNode] = field(default_factory=list)


def all_directions(session: Session) -> list[Direction]:
    return list(session.scalars(select(Direction).order_by(Direction.name, Direction.id)))


def tree(session: Session) -> list[TreeNode]:
    """The roots of the tree, each with its nested children (two queries in all)."""
    directions = all_directions(session)
    staff = dict(
        session.execute(
            select(User.direction_id, func.count(User.id))
            .where(User.active, User.direction_id.is_not(None))
            .group_by(User.direction_id)
        ).all()
    )
    by_parent: dict[int | None, list[Direction]] = {}
    for direction in directions:
        by_parent.setdefault(direction.parent_id, []).append(direction)
    known = {d.id for d in directions}

    def build(direction: Direction, depth: int) -> TreeNode:
        node = TreeNode(direction, depth, staff.get(direction.id, 0))
        node.children = [build(child, depth + 1) for child in by_parent.get(direction.id, [])]
        return node

    roots = [d for d in directions if d.parent_id is None or d.parent_id not in known]
    return [build(root, 0) for root in roots]


def flatten(nodes: list[TreeNode]) -> list[TreeNode]:
    """Depth-first order, for select boxes: each node followed by its descendants."""
    out: list[TreeNode] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def get(session: Session, direction_id: int) -> Direction:
    direction = session.get(Direction, direction_id)
    if direction is None:
        raise NotFound("No such direction.")
    return direction


def find_by_code(session: Session, code: str) -> Direction | None:
    return session.scalar(
        select(Direction).where(func.upper(Direction.code) == code.strip().upper())
    )


def descendant_ids(session: Session, direction: Direction) -> set[int]:
    """Ids of every direction below ``direction`` (not itself)."""
    children: dict[int | None, list[int]] = {}
    for did, parent_id in session.execute(select(Direction.id, Direction.parent_id)):
        children.setdefault(parent_id, []).append(did)
    found: set[int] = set()
    stack = list(children.get(direction.id, []))
    while stack:
        did = stack.pop()
        if did not in found:
            found.add(did)
            stack.extend(children.get(did, []))
    return found


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RuleBroken(N_("Give the direction a name."), field="name")
    if len(name) > MAX_NAME:
        raise RuleBroken(N_("The name is too long."), field="name")
    return name


def _clean_code(session: Session, code: str, *, exclude_id: int | None = None) -> str:
    code = (code or "").strip().upper()
    if not code:
        raise RuleBroken(N_("Give the direction a code."), field="code")
    if len(code) > MAX_CODE or any(ch.isspace() for ch in code):
        raise RuleBroken(
            N_("The code has at most 40 characters and no spaces."),
            field="code",
        )
    other = find_by_code(session, code)
    if other is not None and other.id != exclude_id:
        raise RuleBroken(N_("Another direction already has the code %(code)s."), "code", code=code)
    return code


def _parent(session: Session, parent_id: int | None) -> Direction | None:
    if parent_id is None:
        return None
    parent = session.get(Direction, parent_id)
    if parent is None:
        raise RuleBroken(N_("The parent direction does not exist."), field="parent_id")
    return parent


def create(
    session: Session, *, name: str, code: str, parent_id: int | None, actor: User | None
) -> Direction:
    """A new direction under ``parent_id`` (None: a root)."""
    direction = Direction(
        name=_clean_name(name), code=_clean_code(session, code), parent=_parent(session, parent_id)
    )
    session.add(direction)
    session.flush()
    audit.record(
        session,
        actor,
        "direction.create",
        "direction",
        direction.id,
        code=direction.code,
        parent_id=parent_id,
    )
    return direction


def rename(
    session: Session, direction: Direction, *, name: str, code: str, actor: User | None
) -> Direction:
    """Change the name and code of ``direction``."""
    new_name = _clean_name(name)
    new_code = _clean_code(session, code, exclude_id=direction.id)
    before = {"name": direction.name, "code": direction.code}
    direction.name, direction.code = new_name, new_code
    if before != {"name": new_name, "code": new_code}:
        audit.record(
            session,
            actor,
            "direction.rename",
            "direction",
            direction.id,
            before=before,
            after={"name": new_name, "code": new_code},
        )
    return direction


def move(
    session: Session, direction: Direction, *, parent_id: int | None, actor: User | None
) -> Direction:
    """Put ``direction`` under ``parent_id`` (None: make it a root); refuses cycles."""
    if parent_id == direction.id or (
        parent_id is not None and parent_id in descendant_ids(session, direction)
    ):
        raise RuleBroken(
            N_("A direction cannot be moved under itself or one of its sub-directions."),
            field="parent_id",
        )
    parent = _parent(session, parent_id)
    old = direction.parent_id
    if old != parent_id:
        direction.parent = parent
        session.flush()
        audit.record(
            session,
            actor,
            "direction.move",
            "direction",
            direction.id,
            from_parent_id=old,
            to_parent_id=parent_id,
        )
    return direction


def delete(session: Session, direction: Direction, *, actor: User | None) -> None:
    """Delete an empty direction: no sub-direction, no member of staff, no offer."""
    has_children = session.scalar(
        select(func.count(Direction.id)).where(Direction.parent_id == direction.id)
    )
    if has_children:
        raise RuleBroken(N_("This direction still has sub-directions: move or delete them first."))
    has_staff = session.scalar(select(func.count(User.id)).where(User.direction_id == direction.id))
    if has_staff:
        raise RuleBroken(
            N_("Members of staff still belong to this direction (%(count)s): move them first."),
            count=has_staff,
        )
    has_offers = session.scalar(
        select(func.count(Offer.id)).where(Offer.direction_id == direction.id)
    )
    if has_offers:
        raise RuleBroken(N_("Offers belong to this direction: it cannot be deleted."))
    audit.record(
        session,
        actor,
        "direction.delete",
        "direction",
        direction.id,
        code=direction.code,
        name=direction.name,
    )
    session.delete(direction)
    session.flush()
