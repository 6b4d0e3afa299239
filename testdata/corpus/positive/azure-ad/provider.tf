provider "azurerm" {
  features {}
  client_id     = "63d8536f-658b-16df-d9f5-5ea8db2e9b7c"
  client_secret = "pCT8Q~9rYCHrgtRp75sFYrWk5uVdLuV7XDExly5a"
  tenant_id     = "075079fd-349c-8839-ad6b-7bd051d33681"
}
