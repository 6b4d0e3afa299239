export VAULT_ADDR=https://vault.corp.internal:8200
export VAULT_TOKEN=hvs.wTD1bzJIUQElEFIret4GMvTf
