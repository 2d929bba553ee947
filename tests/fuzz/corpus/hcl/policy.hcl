# a policy with every rule key
path "secret/data/*" {
  capabilities = ["create", "read"]
  allowed_parameters = {
    "foo" = []
    "*" = ["a", "b"]
  }
  min_wrapping_ttl = "1s"
}
path "secret/*" { policy = "write" }
path "auth/token/lookup-self" { capabilities = ["read", "deny",] }
