"""Child process for test_crm_crash: writes to a TinyDbCrm in a loop, acknowledging each write.

    python crash_writer.py <store dir> <run tag>

Prints one line per write *after* the call returned, so every printed line
is a write the store acknowledged:
    L <identity> <contact id> <lead id>
    A <contact id> <activity id> <external key>
    T <contact id> <tag>
    U <contact id> <name>
"""
from __future__ import annotations

import sys

from bridge.ports import CustomerProfile
from crm_store import TinyDbCrm

BODY = "transcript line\n" * 128  # ~2 KB


def main(root: str, tag: str) -> None:
    store = TinyDbCrm(root)
    n = 0
    while True:  # until the test kills us
        identity = f"{tag}-{n}"
        link = store.link_customer(CustomerProfile("webchat", identity, f"Customer {n}"), "Web")
        print("L", identity, link.contact_id, link.lead_id, flush=True)
        key = f"conversation:{identity}"
        activity = store.add_activity(link.contact_id, "transcript", "Chat", BODY, key)
        print("A", link.contact_id, activity.id, key, flush=True)
        if n % 3 == 0:
            store.tag_contact(link.contact_id, f"t{n}")
            print("T", link.contact_id, f"t{n}", flush=True)
            store.update_contact(link.contact_id, name=f"Renamed-{n}")
            print("U", link.contact_id, f"Renamed-{n}", flush=True)
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
