-- The walking skeleton's journal (schema 1), as main 8e9b69a created it.
CREATE TABLE IF NOT EXISTS lines (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
    id TEXT PRIMARY KEY,
    line_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    line_id TEXT NOT NULL,
    binding_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    customer_email TEXT,
    status TEXT NOT NULL,
    operator TEXT,
    contact_id TEXT,
    created_at REAL NOT NULL,
    closed_at REAL,
    close_reason TEXT,
    room_state TEXT NOT NULL,
    crm_state TEXT NOT NULL,
    transcript_state TEXT NOT NULL,
    -- binding|customer while open, NULL once closed: at most one open
    -- conversation per customer and channel, enforced by the database.
    open_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS conversations_by_customer
    ON conversations (binding_id, customer_ref);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    ts REAL NOT NULL,
    -- binding|customer|platform id: a redelivery hits this constraint
    dedupe_key TEXT UNIQUE,
    to_team TEXT NOT NULL,
    to_customer TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, seq);
CREATE INDEX IF NOT EXISTS messages_team_pending ON messages (seq) WHERE to_team = 'pending';
CREATE INDEX IF NOT EXISTS messages_customer_pending ON messages (seq) WHERE to_customer = 'pending';
CREATE INDEX IF NOT EXISTS conversations_owed ON conversations (id)
    WHERE room_state = 'pending' OR crm_state = 'pending' OR transcript_state = 'pending';
