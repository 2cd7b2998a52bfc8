"""A separate process writing to a PostgreSQL CRM (for test_crm_processes): argv url, name, count."""
from __future__ import annotations

import sys

from bridge.ports import CustomerProfile
from crm_store import open_crm


def main(url: str, name: str, count: int) -> None:
    store = open_crm(url)
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start writing together
    for n in range(count):
        link = store.link_customer(CustomerProfile("webchat", f"v{n}", name=f"Customer {n}"), "Website chat")
        store.tag_contact(link.contact_id, name)
        store.add_activity(link.contact_id, "transcript", "Chat", f"by {name}", f"conversation:{n}")
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
