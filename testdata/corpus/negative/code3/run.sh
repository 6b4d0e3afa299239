docker run -d -e POSTGRES_PASSWORD="$POSTGRES_PASSWORD" -e POSTGRES_PASSWORD_FILE=/run/secrets/pg postgres:16
docker run --env-file .env acme/api
docker run -e API_TOKEN acme/worker
