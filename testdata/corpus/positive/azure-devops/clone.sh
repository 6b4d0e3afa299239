AZURE_DEVOPS_PAT=fj4zrfsnhtph2eajxltyedqitoorstkyiegvymi2ufbtohow3ona
git clone https://build:$AZURE_DEVOPS_PAT@dev.azure.com/acme/web/_git/web
