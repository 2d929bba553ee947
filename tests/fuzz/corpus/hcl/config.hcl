storage "sqlite" {
  path = "/var/lib/coffer/coffer.db"
}
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
  max_request_size = 1048576
  max_request_duration = "90s"
}
listener "tcp" {
  address = "[::1]:8201"
  tls_cert_file = "/etc/coffer/cert.pem"
  tls_key_file = "/etc/coffer/key.pem"
  tls_min_version = "tls13"
}
api_addr = "https://coffer.example:8200"
disable_mlock = false
log_level = "info"
default_lease_ttl = "768h"
max_lease_ttl = "768h"
max_request_size = 33554432
