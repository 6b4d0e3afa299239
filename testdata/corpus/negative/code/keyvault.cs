var client = new SecretClient(new Uri("https://corp-kv.vault.azure.net/"), new DefaultAzureCredential());
KeyVaultSecret secret = await client.GetSecretAsync("DbPassword");
string password = secret.Value;
