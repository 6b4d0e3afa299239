docker run -d --name pg -e POSTGRES_PASSWORD=Aasu25Ke4fIqMvEYat -p 5432:5432 postgres:16
