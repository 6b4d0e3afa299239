$password = ConvertTo-SecureString "Velvet%5161falcon" -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential ("CORP\svc-deploy", $password)
Invoke-Command -ComputerName web01 -Credential $cred -ScriptBlock { iisreset }
