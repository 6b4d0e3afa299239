curl -u deploy:OtIUQjSCHo2b9OrcBhC3 https://nexus.corp.internal/service/rest/v1/components?repository=releases
