"""Open Lines core: lines, conversations, relay and durable delivery.

This package imports no team-chat framework, web framework, SDK or CRM
storage library: those live in plugins/, backends/ and crm_store/.
"""
