-- A Prosody for Open Lines' XMPP end-to-end test: localhost only, a MUC component, no TLS.
-- Written for Debian's prosody 0.12; started by .ci/prosody (idempotent).
pidfile = "/var/lib/openlines-prosody/prosody.pid"
data_path = "/var/lib/openlines-prosody"
interfaces = { "127.0.0.1" }
c2s_ports = { 15222 }
s2s_ports = { }
http_ports = { }
https_ports = { }
admins = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }
modules_disabled = { "s2s"; "tls"; "offline" }
authentication = "internal_hashed"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
log = { info = "/var/lib/openlines-prosody/prosody.log"; error = "/var/lib/openlines-prosody/prosody.err" }

VirtualHost "localhost"

Component "conference.localhost" "muc"
    restrict_room_creation = false
