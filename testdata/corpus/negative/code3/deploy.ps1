$secure = ConvertTo-SecureString $env:ADMIN_PASSWORD -AsPlainText -Force
$cred = Get-Credential -UserName "CORP\\svc-deploy" -Message "Password"
