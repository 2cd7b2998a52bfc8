"""Concurrent link_customer calls from worker threads: no duplicate contacts, nothing lost."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from bridge.ports import CrmLink, CustomerProfile
from crm_store import CrmStore, TinyDbCrm

THREADS = 8


def run_threads(work: Callable[[int], None]) -> None:
    """Run work(i) in THREADS threads released together, re-raising the first error."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # surfaced in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_same_new_identity_from_8_threads_makes_one_contact(store: CrmStore) -> None:
    links: list[CrmLink] = []
    profile = CustomerProfile("webchat", "racer", "Racer")
    run_threads(lambda i: links.append(store.link_customer(profile, "Website chat")))
    assert len({link.contact_id for link in links}) == 1
    assert sum(link.is_new for link in links) == 1
    assert len(store.leads_of(links[0].contact_id)) == 1


def test_8_threads_times_50_identities_make_400_contacts(store: CrmStore) -> None:
    links: list[CrmLink] = []

    def work(i: int) -> None:
        for n in range(50):
            profile = CustomerProfile("webchat", f"t{i}-c{n}", f"Customer {i}/{n}")
            links.append(store.link_customer(profile, "Website chat"))

    run_threads(work)
    assert len(links) == 400
    assert all(link.is_new for link in links)
    assert len({link.contact_id for link in links}) == 400
    for i in range(THREADS):
        for n in range(50):
            assert store.find_contact("webchat", f"t{i}-c{n}") is not None


def test_400_concurrent_contacts_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "crm"
    store = TinyDbCrm(path)
    run_threads(
        lambda i: [
            store.link_customer(CustomerProfile("webchat", f"t{i}-c{n}"), "Website chat")
            for n in range(50)
        ]
    )
    store.close()
    reopened = TinyDbCrm(path)
    try:
        ids = {
            contact.id
            for i in range(THREADS)
            for n in range(50)
            if (contact := reopened.find_contact("webchat", f"t{i}-c{n}")) is not None
        }
        assert len(ids) == 400
        assert all(len(reopened.leads_of(cid)) == 1 for cid in list(ids)[:20])
    finally:
        reopened.close()


def test_concurrent_activities_outside_link_lock_all_reach_the_file(tmp_path: Path) -> None:
    # add_activity does not take the link lock: only the contact's own lock
    # keeps TinyDB's read-modify-write of the contact file from losing rows.
    path = tmp_path / "crm"
    store = TinyDbCrm(path)
    contact = store.create_contact("Alice", None, "webchat", "v1")
    run_threads(
        lambda i: [
            store.add_activity(contact.id, "note", "s", "b", f"k{i}-{n}") for n in range(50)
        ]
    )
    assert len(store.activities_of(contact.id)) == 400
    store.close()
    reopened = TinyDbCrm(path)
    try:
        assert len(reopened.activities_of(contact.id)) == 400
    finally:
        reopened.close()


def test_two_stores_on_one_directory_still_make_one_contact(tmp_path: Path) -> None:
    # Their locks are separate (as in two processes): only the exclusive
    # identity file creation keeps the race to one contact.
    stores = [TinyDbCrm(tmp_path / "crm"), TinyDbCrm(tmp_path / "crm")]
    profile = CustomerProfile("webchat", "racer", "Racer")
    links: list[CrmLink] = []
    run_threads(lambda i: links.append(stores[i % 2].link_customer(profile, "Website chat")))
    assert len({link.contact_id for link in links}) == 1
    assert sum(link.is_new for link in links) == 1
    assert len(stores[0].leads_of(links[0].contact_id)) == 1
