package main

import "database/sql"

func open() (*sql.DB, error) {
	return sql.Open("postgres", "host=db.prod.internal user=reporting password=g9MckxjarlfYfOBtWI dbname=metrics sslmode=require")
}
