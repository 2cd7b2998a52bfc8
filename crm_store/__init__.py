"""CRM storage behind the core's Crm port: TinyDB (a file per contact), PostgreSQL (crm_store.pg_store) or memory,
and their async adapter."""
from crm_store.base import Activity, Contact, CrmStore, Lead, lead_title
from crm_store.factory import open_crm
from crm_store.memory import MemoryCrm
from crm_store.port import AsyncCrm
from crm_store.tinydb_store import TinyDbCrm

__all__ = [
    "Activity",
    "AsyncCrm",
    "Contact",
    "CrmStore",
    "Lead",
    "MemoryCrm",
    "TinyDbCrm",
    "lead_title",
    "open_crm",
]
