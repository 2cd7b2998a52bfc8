"""A CrmStore that refuses every call: stands in for a CRM that could not be opened."""
from __future__ import annotations

from crm_store.base import Activity, Contact, CrmStore, Lead


class CrmUnavailable(RuntimeError):
    pass


class UnavailableCrm(CrmStore):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def _refuse(self) -> CrmUnavailable:
        return CrmUnavailable(f"the CRM could not be opened ({self.reason})")

    def find_contact(self, channel: str, identity: str) -> Contact | None:
        raise self._refuse()

    def get_contact(self, contact_id: str) -> Contact | None:
        raise self._refuse()

    def create_contact(self, name: str, email: str | None, channel: str, identity: str) -> Contact:
        raise self._refuse()

    def update_contact(self, contact_id: str, *, name: str | None = None, email: str | None = None) -> Contact:
        raise self._refuse()

    def tag_contact(self, contact_id: str, tag: str, on: bool = True) -> Contact:
        raise self._refuse()

    def create_lead(self, contact_id: str, title: str, source: str) -> Lead:
        raise self._refuse()

    def leads_of(self, contact_id: str) -> list[Lead]:
        raise self._refuse()

    def add_activity(self, contact_id: str, kind: str, subject: str, body: str,
                     external_key: str | None) -> Activity:
        raise self._refuse()

    def activities_of(self, contact_id: str) -> list[Activity]:
        raise self._refuse()

    def close(self) -> None:
        pass
