"""The RecordStore contract, run against MemoryStore (the reference), JournalStore and
PostgresStore (on a real PostgreSQL: tests/postgres.py, a fresh database per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store.interfaces import (
    Change,
    Query,
    Record,
    RecordRefused,
    RecordStore,
    VersionConflict,
)
from app.store.journal import JournalStore
from app.store.memory import MemoryStore
from app.store.postgres import PostgresStore


@pytest.fixture(params=["memory", "journal", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    opened: RecordStore
    if request.param == "memory":
        opened = MemoryStore()
    elif request.param == "journal":
        opened = JournalStore.open(tmp_path / "data")
    else:
        opened = PostgresStore.open(request.getfixturevalue("pg_url"))
    yield opened
    opened.close()


def test_save_appends_versions(store: RecordStore) -> None:
    first = store.save("pain_entry", "e1", {"nrs": 6}, owner="p1")
    second = store.save("pain_entry", "e1", {"nrs": 4}, owner="p1")
    assert (first.version, second.version) == (1, 2)
    assert first.saved_at and second.saved_at >= first.saved_at
    assert store.latest("pain_entry", "e1") == second
    assert [r.data["nrs"] for r in store.history("pain_entry", "e1")] == [6, 4]


def test_unknown_record(store: RecordStore) -> None:
    assert store.latest("pain_entry", "nope") is None
    assert store.history("pain_entry", "nope") == []
    assert store.find(Query("pain_entry")) == []


def test_saved_data_is_a_copy(store: RecordStore) -> None:
    data = {"nrs": 3}
    store.save("pain_entry", "e1", data)
    data["nrs"] = 9
    latest = store.latest("pain_entry", "e1")
    assert latest is not None and latest.data == {"nrs": 3}


def test_find_by_kind_owner_and_where_in_first_save_order(store: RecordStore) -> None:
    store.save("pain_entry", "a", {"site": "low_back", "nrs": 5}, owner="p1")
    store.save("pain_entry", "b", {"site": "neck", "nrs": 2}, owner="p1")
    store.save("pain_entry", "c", {"site": "low_back", "nrs": 7}, owner="p2")
    store.save("session", "s1", {"site": "low_back"}, owner="p1")
    store.save("pain_entry", "a", {"site": "low_back", "nrs": 3}, owner="p1")  # correction

    assert [r.id for r in store.find(Query("pain_entry"))] == ["a", "b", "c"]
    assert [r.id for r in store.find(Query("pain_entry", owner="p1"))] == ["a", "b"]
    found = store.find(Query("pain_entry", where={"site": "low_back"}))
    assert [(r.id, r.version, r.data["nrs"]) for r in found] == [("a", 2, 3), ("c", 1, 7)]
    assert store.find(Query("pain_entry", owner="p2", where={"site": "neck"})) == []
    assert [r.id for r in store.find(Query("session", owner="p1"))] == ["s1"]


def test_where_on_missing_key_matches_none(store: RecordStore) -> None:
    store.save("note", "n1", {"text": "x"})
    store.save("note", "n2", {"text": "y", "tag": "a"})
    assert [r.id for r in store.find(Query("note", where={"tag": None}))] == ["n1"]
    assert [r.id for r in store.find(Query("note", where={"tag": "a"}))] == ["n2"]


def test_where_with_nested_values(store: RecordStore) -> None:
    store.save("plan", "p", {"days": [1, 3], "dose": {"sets": 3}})
    assert len(store.find(Query("plan", where={"days": [1, 3], "dose": {"sets": 3}}))) == 1
    assert store.find(Query("plan", where={"days": [1]})) == []


def test_where_compares_as_python_does(store: RecordStore) -> None:
    """Every store matches `where` with the reference's rule (memory.matches: Python's ==,
    so True == 1 == 1.0 and a missing key or a JSON null reads as None); a database's own
    equality (jsonb: true is not 1) must not decide alone."""
    store.save("flag", "int", {"on": 1, "n": 2})
    store.save("flag", "bool", {"on": True, "n": 2.0})
    store.save("flag", "float", {"on": 1.0, "n": 2.5})
    store.save("flag", "off", {"on": False, "n": None})
    store.save("flag", "zero", {"on": 0, "s": "1"})
    store.save("flag", "none", {"s": 1})

    def ids(**where: object) -> list[str]:
        return [r.id for r in store.find(Query("flag", where=where))]

    assert ids(on=True) == ids(on=1) == ids(on=1.0) == ["int", "bool", "float"]
    assert ids(on=False) == ids(on=0) == ["off", "zero"]
    assert ids(n=2) == ["int", "bool"]
    assert ids(n=None) == ["off", "zero", "none"]
    assert ids(s="1") == ["zero"]
    assert ids(s=1) == ids(s=True) == ["none"]
    assert ids(on=None) == ["none"]


def test_tombstones(store: RecordStore) -> None:
    store.save("pain_entry", "a", {"nrs": 5}, owner="p1")
    store.save("pain_entry", "b", {"nrs": 6}, owner="p1")
    tomb = store.save("pain_entry", "a", {}, owner="p1", deleted=True)
    assert store.latest("pain_entry", "a") == tomb and tomb.deleted
    assert [r.id for r in store.find(Query("pain_entry"))] == ["b"]
    withdrawn = store.find(Query("pain_entry", include_deleted=True))
    assert [(r.id, r.deleted) for r in withdrawn] == [("a", True), ("b", False)]
    assert len(store.history("pain_entry", "a")) == 2


def test_expected_version(store: RecordStore) -> None:
    store.save("account", "u1", {"name": "A"}, expected_version=0)
    with pytest.raises(VersionConflict):
        store.save("account", "u1", {"name": "B"}, expected_version=0)
    store.save("account", "u1", {"name": "B"}, expected_version=1)
    with pytest.raises(VersionConflict):
        store.save("account", "u1", {"name": "C"}, expected_version=1)
    with pytest.raises(VersionConflict):
        store.save("account", "u2", {"name": "C"}, expected_version=3)
    assert [r.data["name"] for r in store.history("account", "u1")] == ["A", "B"]
    assert store.latest("account", "u2") is None


def test_owner_history(store: RecordStore) -> None:
    store.save("pain_entry", "a", {"nrs": 5}, owner="p1")
    store.save("pain_entry", "x", {"nrs": 1}, owner="p2")
    store.save("session", "s", {}, owner="p1")
    store.save("pain_entry", "a", {"nrs": 4}, owner="p1")
    store.save("clinic", "c", {})
    got = store.owner_history("p1")
    assert [(r.kind, r.id, r.version) for r in got] == [
        ("pain_entry", "a", 1),
        ("session", "s", 1),
        ("pain_entry", "a", 2),
    ]
    assert store.owner_history("nobody") == []


def _foreign(version: int, rid: str = "r1", owner: str = "p9") -> Record:
    return Record(
        kind="pain_entry",
        id=rid,
        version=version,
        data={"nrs": version},
        owner=owner,
        saved_at=f"2024-01-0{version}T00:00:00+00:00",
    )


def test_import_versions_is_idempotent(store: RecordStore) -> None:
    store.save("pain_entry", "local", {"nrs": 1}, owner="p1")
    batch = [_foreign(2), _foreign(1), _foreign(1, rid="r2")]
    assert store.import_versions(batch) == 3
    assert store.import_versions(batch) == 0
    assert store.import_versions([_foreign(3), _foreign(3)]) == 1
    assert [r.version for r in store.history("pain_entry", "r1")] == [1, 2, 3]
    latest = store.latest("pain_entry", "r1")
    assert latest is not None and latest.version == 3 and latest.saved_at.startswith("2024")
    assert [r.id for r in store.find(Query("pain_entry"))] == ["local", "r1", "r2"]
    nxt = store.save("pain_entry", "r1", {"nrs": 0}, owner="p9", expected_version=3)
    assert nxt.version == 4


def test_purge_owner(store: RecordStore) -> None:
    store.save("pain_entry", "a", {"nrs": 5}, owner="p1")
    store.save("pain_entry", "a", {"nrs": 4}, owner="p1")
    store.save("session", "s", {}, owner="p1")
    store.save("pain_entry", "b", {"nrs": 6}, owner="p2")
    assert store.purge_owner("p1") == 3
    assert store.purge_owner("p1") == 0
    assert store.latest("pain_entry", "a") is None
    assert store.history("session", "s") == []
    assert store.owner_history("p1") == []
    assert [r.id for r in store.find(Query("pain_entry"))] == ["b"]
    again = store.save("pain_entry", "a", {"nrs": 1}, owner="p1")
    assert again.version == 1
    assert [r.id for r in store.find(Query("pain_entry"))] == ["b", "a"]


def _ids(store: RecordStore, kind: str, owner: str) -> list[str]:
    return [r.id for r in store.find(Query(kind, owner=owner))]


def test_find_by_owner_follows_the_latest_version(store: RecordStore) -> None:
    store.save("pain_entry", "a", {"nrs": 5}, owner="p1")
    store.save("pain_entry", "b", {"nrs": 3}, owner="p2")
    store.save("pain_entry", "c", {"nrs": 2}, owner="p1")
    store.save("session", "s", {}, owner="p1")
    store.save("pain_entry", "a", {"nrs": 4}, owner="p2")  # the latest version moves it
    assert _ids(store, "pain_entry", "p1") == ["c"]
    assert _ids(store, "pain_entry", "p2") == ["a", "b"]  # first-save order, as ever
    assert _ids(store, "session", "p2") == []
    # Versions imported out of order: the highest version decides, not the last to arrive.
    store.import_versions([_foreign(2, rid="d", owner="p3"), _foreign(1, rid="d", owner="p3")])
    assert _ids(store, "pain_entry", "p3") == ["d"]
    found = store.find(Query("pain_entry", owner="p3"))
    assert [r.version for r in found] == [2]
    store.purge_owner("p2")
    assert _ids(store, "pain_entry", "p2") == []
    assert _ids(store, "pain_entry", "p1") == ["c"]


def _everything(store: RecordStore) -> list[Record]:
    return [v for owner in ("p1", "p9", "p8") for v in store.owner_history(owner)]


@pytest.mark.parametrize("bad", [
    Record("pain_entry", "zero", 0, {"nrs": 1}, owner="p9"),
    Record("pain_entry", "neg", -3, {"nrs": 1}, owner="p9"),
    Record("pain_entry", "gap", 3, {"nrs": 1}, owner="p9"),  # no version 1 and 2
    Record("pain_entry", "r1", 3, {"nrs": 1}, owner="p9"),  # r1 holds 1 only: 2 missing
    Record("pain_entry", "mine", 1, {"id": "theirs", "nrs": 1}, owner="p9"),
    Record("pain_entry", "a", 2, {"nrs": 1}, owner="p9"),  # a belongs to p1
    Record("pain_entry", "nan", 1, {"nrs": float("nan")}, owner="p9"),
], ids=["version-0", "negative", "gap-new", "gap-held", "other-id", "other-owner", "nan"])
def test_import_refuses_versions_the_store_could_not_stand_behind(
    store: RecordStore, bad: Record
) -> None:
    """Everything an import writes passes the checks the store applies when it opens (and
    those that keep a record from taking another over) before anything is written."""
    store.save("pain_entry", "a", {"nrs": 5}, owner="p1")
    store.import_versions([_foreign(1)])
    before = _everything(store)
    with pytest.raises(RecordRefused):
        store.import_versions([_foreign(1, rid="fine"), bad])  # all or none
    assert _everything(store) == before
    assert store.latest("pain_entry", "fine") is None


def test_save_refuses_data_naming_another_record(store: RecordStore) -> None:
    with pytest.raises(RecordRefused, match="another id"):
        store.save("check_in", "c1", {"id": "c2"}, owner="p1")
    assert store.latest("check_in", "c1") is None
    assert store.save("check_in", "c1", {"id": "c1"}, owner="p1").version == 1


def test_save_all_writes_every_change_or_none(store: RecordStore) -> None:
    store.save("invite", "CODE", {"used": False}, owner="p1")
    saved = store.save_all([
        Change("invite", "CODE", {"used": True}, owner="p1", expected_version=1),
        Change("grant", "g1", {"to": "t1"}, owner="p1", expected_version=0),
    ])
    assert [(r.kind, r.version) for r in saved] == [("invite", 2), ("grant", 1)]
    assert saved[0] == store.latest("invite", "CODE")
    with pytest.raises(VersionConflict):  # the second change's check fails: nothing saved
        store.save_all([
            Change("grant", "g2", {"to": "t2"}, owner="p1", expected_version=0),
            Change("invite", "CODE", {"used": True}, owner="p1", expected_version=1),
        ])
    assert store.latest("grant", "g2") is None
    assert len(store.history("invite", "CODE")) == 2
    with pytest.raises(ValueError):
        store.save_all([Change("note", "n", {}), Change("note", "n", {})])
    assert store.latest("note", "n") is None
    assert store.save_all([]) == []


def test_owner_stamp_moves_with_the_owners_versions_only(store: RecordStore) -> None:
    """A cache of something worked out from one patient's records (the caseload's
    summaries) stays valid while the stamp stays put."""
    assert store.owner_stamp("p1") == 0
    store.save("pain_entry", "a", {}, owner="p1")
    first = store.owner_stamp("p1")
    store.save("pain_entry", "b", {}, owner="p2")  # another patient's save
    store.find(Query("pain_entry", owner="p1"))  # a read
    assert store.owner_stamp("p1") == first
    store.save("audit", "x", {}, owner="p1")
    assert store.owner_stamp("p1", ignoring=frozenset({"audit"})) == first
    assert store.owner_stamp("p1") > first
    store.save_all([Change("pain_entry", "a", {"nrs": 2}, owner="p1")])
    second = store.owner_stamp("p1", ignoring=frozenset({"audit"}))
    assert second > first
    store.purge_owner("p1")
    assert store.owner_stamp("p1") > second
