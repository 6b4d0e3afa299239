#!/bin/bash
set -euo pipefail
export AZURE_STORAGE_ACCOUNT=nightlybackups01
export AZURE_STORAGE_KEY="mWLgOqWQa8Wi3dgJB5k6AB2etLlFn/LRMAp/6aoX7+gW3zcMRFHwaoYm+ebAbTTIwqt4SBt71YQKywJoKpAtfQ=="
az storage blob upload-batch -d backups -s /var/backups/db --overwrite
